/** `jamba generate`: greedy generation from token ids; prints {"ids": [[...], ...]} (prompt excluded). */
import { writeFileSync } from 'node:fs';
import { JambaUserError } from '../../errors.js';
import { generateGreedy } from '../../generate/greedy.js';
import { Flags } from '../args.js';
import { MODEL_RUN_FLAGS, type Command } from '../command.js';
import { checkCtx, loadModelFromFlags } from '../model-options.js';

export const generateCommand: Command = {
  name: 'generate',
  usage: '--model <ref> --ids <i,j,k> [--ids <...>]... --max-tokens <n> --greedy --json [--step-logits <file>] [--ignore-eos]',
  summary: 'greedy generation from token ids, printed as JSON',
  flags: {
    model: { type: 'string', value: '<ref>', description: 'model folder, .gguf file or Hub repo id' },
    ids: { type: 'string', multiple: true, value: '<i,j,k>', description: 'prompt token ids of one sequence (repeatable)' },
    'max-tokens': { type: 'string', value: '<n>', description: 'new tokens per sequence' },
    greedy: { type: 'boolean', description: 'greedy decoding (the only mode of this command)' },
    json: { type: 'boolean', description: 'print the result as JSON (the only output format)' },
    'step-logits': { type: 'string', value: '<file>', description: 'write the logits that chose each token, float32 [sequences, n, vocab]' },
    'ignore-eos': { type: 'boolean', description: 'do not stop at the EOS ids of the config' },
    ...MODEL_RUN_FLAGS,
  },
  async run(f) {
    const ref = f.requireString('model');
    const seqs = f.strings('ids').map((s) => Flags.idList('ids', s));
    if (seqs.length === 0) throw new JambaUserError('missing required flag --ids');
    const n = f.int('max-tokens', { min: 0 });
    if (n === undefined) throw new JambaUserError('missing required flag --max-tokens');
    const { model, opts } = await loadModelFromFlags(f, ref);
    for (const s of seqs) checkCtx(opts, s.length + n, 'prompt plus --max-tokens');
    const V = model.dims.V;
    const stepPath = f.string('step-logits');
    const steps = stepPath ? new Float32Array(seqs.length * n * V) : null;
    const res = generateGreedy(model, seqs, {
      maxTokens: n,
      ignoreEos: f.bool('ignore-eos'),
      onStepLogits: steps ? (s, step, row) => steps.set(row, (s * n + step) * V) : undefined,
    });
    if (stepPath && steps) writeFileSync(stepPath, new Uint8Array(steps.buffer));
    process.stdout.write(JSON.stringify({ ids: res.ids }) + '\n');
    return 0;
  },
};
