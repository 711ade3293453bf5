/**
 * `jamba convert <hf-folder|file.gguf> <out.gguf> --type <t>` (architecture.md contract): writes a
 * llama.cpp-loadable GGUF; see io/convert.ts for what it writes and what it refuses. With
 * --split-max-size / --split-max-tensors it writes a gguf-split set instead (io/gguf/split.ts);
 * requantizing an already quantised GGUF needs --allow-requantize (io/convert-requant.ts).
 */
import { JambaUserError } from '../../errors.js';
import { convertCheckpoint } from '../../io/convert.js';
import { CONVERT_TYPES, isConvertType } from '../../io/convert-types.js';
import { openCheckpoint } from '../../io/checkpoint.js';
import cliProgress from 'cli-progress';
import type { Command } from '../command.js';
import type { Flags } from '../args.js';
import type { SplitLimits } from '../../io/gguf/split.js';

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

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9 };

/** --split-max-size N[K|M|G] (decimal units, as gguf-split's M and G) and --split-max-tensors n. */
function splitLimits(f: Flags): SplitLimits | undefined {
  const size = f.string('split-max-size');
  const tensors = f.string('split-max-tensors');
  if (size === undefined && tensors === undefined) return undefined;
  const limits: SplitLimits = {};
  if (size !== undefined) {
    const m = /^(\d+)([KMG]?)$/i.exec(size.trim());
    if (!m) throw new JambaUserError(`--split-max-size '${size}' is not a size: a whole number of bytes, optionally followed by K, M or G (e.g. 500M, 2G)`);
    const n = Number(m[1]) * SIZE_UNITS[m[2]!.toUpperCase()]!;
    if (n <= 0) throw new JambaUserError(`--split-max-size must be greater than 0, got '${size}'`);
    if (!Number.isSafeInteger(n)) throw new JambaUserError(`--split-max-size '${size}' is too large`);
    limits.maxBytes = n;
  }
  if (tensors !== undefined) limits.maxTensors = f.int('split-max-tensors', { min: 1 });
  return limits;
}

export const convertCommand: Command = {
  name: 'convert',
  usage: '<hf-folder|file.gguf> <out.gguf> --type <t> [--split-max-size <N>[K|M|G]] [--split-max-tensors <n>]',
  summary: 'write a model as a llama.cpp GGUF (f32, f16, bf16, q8_0, q4_0, … q4_k_m, q5_k_m)',
  flags: {
    type: { type: 'string', value: '<t>', description: `tensor type: ${CONVERT_TYPES.join(', ')}` },
    'split-max-size': { type: 'string', value: '<N>[K|M|G]', description: 'write <out>-00001-of-0000N.gguf … with at most N bytes of tensors each (K/M/G = 1e3/1e6/1e9)' },
    'split-max-tensors': { type: 'string', value: '<n>', description: 'write <out>-00001-of-0000N.gguf … with at most n tensors each' },
    'allow-requantize': { type: 'boolean', description: 'allow re-quantising tensors already quantised to another type (worse quality)' },
    quiet: { type: 'boolean', description: 'no progress bar and no per-tensor notes' },
  },
  async run(f) {
    const [input, output, ...rest] = f.positionals;
    if (!input || !output) throw new JambaUserError("usage: jamba convert <hf-folder|file.gguf> <out.gguf> --type <t>");
    if (rest.length) throw new JambaUserError(`unexpected argument '${rest[0]}' (usage: jamba convert <in> <out.gguf> --type <t>)`);
    const type = f.string('type');
    if (type === undefined) throw new JambaUserError(`missing required flag --type (one of ${CONVERT_TYPES.join(', ')})`);
    if (!isConvertType(type)) throw new JambaUserError(`--type '${type}' is not one of ${CONVERT_TYPES.join(', ')}`);
    const split = splitLimits(f);
    const quiet = f.bool('quiet');
    const say = (s: string) => { if (!quiet) process.stderr.write(s + '\n'); };
    const ck = await openCheckpoint(input);
    let bar = progressBar(0, true);
    try {
      const report = convertCheckpoint(ck, output, type, {
        split,
        allowRequantize: f.bool('allow-requantize'),
        // Said even with --quiet: the file is worse than one quantised from the original weights.
        warn(message) { process.stderr.write(`warning: ${message}\n`); },
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
      const files = report.files.length > 1 ? `${report.files.length} files ${report.files[0]} … ${report.files.at(-1)}` : report.files[0];
      say(`wrote ${files}: ${report.tensors.length} tensors (${[...counts].map(([k, v]) => `${v} ${k}`).join(', ')}), ${mb(report.bytes)} of weights`);
    } finally {
      ck.tensors.close?.();
    }
    return 0;
  },
};
