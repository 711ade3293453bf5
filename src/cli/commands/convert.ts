/**
 * `jamba convert <hf-folder|file.gguf> <out.gguf> --type <t>` (architecture.md contract): writes a
 * llama.cpp-loadable GGUF; see io/convert.ts for what it writes and what it refuses.
 */
import { JambaUserError } from '../../errors.js';
import { convertCheckpoint } from '../../io/convert.js';
import { CONVERT_TYPES, isConvertType } from '../../io/convert-types.js';
import { openCheckpoint } from '../../io/checkpoint.js';
import cliProgress from 'cli-progress';
import type { Command } from '../command.js';

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

/** A bar over the bytes of tensor data written, on stderr, drawn only on a terminal. */
function progressBar(total: number, quiet: boolean): { tensor(name: string, bytes: number): void; done(): void } {
  if (quiet || process.stderr.isTTY !== true || total <= 0) return { tensor() {}, done() {} };
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: 'convert |{bar}| {percentage}% | {done}/{all} | {tensor}',
    barsize: 30,
    hideCursor: null,
    gracefulExit: true,
  });
  let value = 0;
  bar.start(total, 0, { tensor: '', done: mb(0), all: mb(total) });
  return {
    tensor(name, bytes) { value += bytes; bar.update(value, { tensor: name, done: mb(value) }); },
    done() { bar.stop(); },
  };
}

export const convertCommand: Command = {
  name: 'convert',
  usage: '<hf-folder|file.gguf> <out.gguf> --type <t>',
  summary: 'write a model as a llama.cpp GGUF (f32, f16, bf16, q8_0, q4_0, … q4_k_m, q5_k_m)',
  flags: {
    type: { type: 'string', value: '<t>', description: `tensor type: ${CONVERT_TYPES.join(', ')}` },
    quiet: { type: 'boolean', description: 'no progress bar and no per-tensor notes' },
  },
  async run(f) {
    const [input, output, ...rest] = f.positionals;
    if (!input || !output) throw new JambaUserError("usage: jamba convert <hf-folder|file.gguf> <out.gguf> --type <t>");
    if (rest.length) throw new JambaUserError(`unexpected argument '${rest[0]}' (usage: jamba convert <in> <out.gguf> --type <t>)`);
    const type = f.string('type');
    if (type === undefined) throw new JambaUserError(`missing required flag --type (one of ${CONVERT_TYPES.join(', ')})`);
    if (!isConvertType(type)) throw new JambaUserError(`--type '${type}' is not one of ${CONVERT_TYPES.join(', ')}`);
    const quiet = f.bool('quiet');
    const say = (s: string) => { if (!quiet) process.stderr.write(s + '\n'); };
    const ck = await openCheckpoint(input);
    let bar = progressBar(0, true);
    try {
      const report = convertCheckpoint(ck, output, type, {
        start(total) { bar = progressBar(total, quiet); },
        tensor(name, _dtype, bytes) { bar.tensor(name, bytes); },
      });
      bar.done();
      const SHOWN = 6;
      for (const fb of report.fallbacks.slice(0, SHOWN)) say(`note: ${fb}`);
      if (report.fallbacks.length > SHOWN) say(`note: … and ${report.fallbacks.length - SHOWN} more tensors took a fallback type (rows not whole blocks)`);
      // Said even with --quiet: the file cannot tokenize text.
      if (report.placeholderVocab) process.stderr.write(`note: ${report.placeholderVocab}\n`);
      for (const n of report.vocabNotes) say(`note: ${n}`);
      const counts = new Map<string, number>();
      for (const t of report.tensors) counts.set(t.dtype, (counts.get(t.dtype) ?? 0) + 1);
      say(`wrote ${output}: ${report.tensors.length} tensors (${[...counts].map(([k, v]) => `${v} ${k}`).join(', ')}), ${mb(report.bytes)} of weights`);
    } finally {
      ck.tensors.close?.();
    }
    return 0;
  },
};
