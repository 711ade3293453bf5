/** `jamba info`: config, layer plan, parameter counts and memory of a model, without loading its weights. */
import { openCheckpoint } from '../../io/checkpoint.js';
import { dims, parseConfig } from '../../model/config.js';
import { formatBytes, formatCount, modelInfo } from '../../model/info.js';
import type { Command } from '../command.js';

export const infoCommand: Command = {
  name: 'info',
  usage: '--model <ref> [--context <n>] [--json]',
  summary: 'show config, layer plan, parameter counts and memory needs',
  flags: {
    model: { type: 'string', value: '<ref>', description: 'model folder, .gguf file or Hub repo id' },
    context: { type: 'string', value: '<n>', description: 'context length for the memory total', default: '4096' },
    json: { type: 'boolean', description: 'print JSON instead of text' },
  },
  async run(f) {
    const ref = f.requireString('model');
    const context = f.int('context', { min: 1 })!;
    const ck = await openCheckpoint(ref);
    try {
      const c = parseConfig(ck.config, ck.folder ? `${ck.folder}/config.json` : ref);
      const info = modelInfo(c, ck.tensors);
      const kv = info.bytes.kvPerToken * context;
      const total = info.bytes.weights + kv + info.bytes.recurrentPerSequence;
      if (f.bool('json')) {
        process.stdout.write(JSON.stringify({ config: ck.config, ...info, context, memoryAtContext: { kv, total } }, null, 2) + '\n');
        return 0;
      }
      const d = dims(c);
      const planStr = info.plan.map((p) => `${p.index}:${p.mixer === 'attention' ? 'attn' : 'mamba'}+${p.ffn}`).join(' ');
      const lines = [
        `model        ${ref}`,
        `shape        hidden ${d.H}, layers ${d.L}, heads ${d.nH}/${d.nKV} (head dim ${d.d}), ffn ${d.I}, vocab ${d.V}`,
        `mamba        d_inner ${d.E}, d_state ${d.N}, d_conv ${d.K}, dt_rank ${d.R}, conv bias ${c.mambaConvBias}, proj bias ${c.mambaProjBias}`,
        `experts      ${d.nE} (top ${d.k}) every ${c.expertLayerPeriod} layers from ${c.expertLayerOffset}; attention every ${c.attnLayerPeriod} from ${c.attnLayerOffset}`,
        `layer plan   ${planStr}`,
        `parameters   ${formatCount(info.params.total)} total, ${formatCount(info.params.activePerToken)} active per token (${info.params.total} / ${info.params.activePerToken})`,
        `weights      ${formatBytes(info.bytes.weights)} (${Object.entries(info.dtypes).map(([k, v]) => `${k}: ${formatCount(v)}`).join(', ')})`,
        `KV cache     ${formatBytes(info.bytes.kvPerToken)} per token (f32, ${info.plan.filter((p) => p.mixer === 'attention').length} attention layers)`,
        `recurrent    ${formatBytes(info.bytes.recurrentPerSequence)} per sequence (fixed)`,
        `at ${context} tokens: KV ${formatBytes(kv)}, total ${formatBytes(total)} for one sequence`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
      return 0;
    } finally {
      ck.tensors.close?.();
    }
  },
};
