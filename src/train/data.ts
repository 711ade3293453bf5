/**
 * Training data: text files → documents → one token stream per split, and a seeded sampler of
 * next-token windows.
 *
 * A file is split into documents at lines holding only `<|endoftext|>` (the TinyStories layout,
 * shared/data/README.md); text after the last separator is dropped as cut off. A file without
 * separators is split at blank lines (paragraphs, speeches), or at line ends if it has no blank
 * lines (one verse or record a line). Each document is encoded as [BOS] + ids + [EOS]. The last
 * `valFraction` of the documents (in file order) form the held-out split.
 *
 * The sampler cuts the training stream into windows of T+1 tokens (stride T), visits them in a
 * permutation drawn from (seed, epoch), and hands out B per batch. Its whole state is {epoch, index},
 * so a checkpoint that stores it resumes on exactly the next batch.
 */
import { readFileSync } from 'node:fs';
import { JambaUserError } from '../errors.js';
import { rng } from '../model/random.js';
import type { MicroBatch } from './step.js';

export const DOC_SEPARATOR = '<|endoftext|>';

export function readDocuments(files: readonly string[]): string[] {
  const docs: string[] = [];
  for (const f of files) {
    let text: string;
    try { text = readFileSync(f, 'utf8'); } catch (e) {
      throw new JambaUserError(`cannot read data file ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    let parts = text.split(/^<\|endoftext\|>[ \t]*\r?$/m);
    if (parts.length > 1) parts.pop();
    else {
      parts = text.split(/\r?\n[ \t]*\r?\n/);
      if (parts.length === 1) parts = text.split(/\r?\n/);
    }
    for (const p of parts) { const d = p.trim(); if (d.length) docs.push(d); }
  }
  if (docs.length === 0) throw new JambaUserError(`no text found in ${files.join(', ')}`);
  return docs;
}

export interface Splits { train: Int32Array; val: Int32Array; trainDocs: number; valDocs: number }

/** How many of `nDocs` documents (the last ones, in file order) are held out for `valFraction`. */
export function heldOutCount(nDocs: number, valFraction: number): number {
  return valFraction > 0 ? Math.max(1, Math.round(nDocs * valFraction)) : 0;
}

export function tokenizeSplits(docs: readonly string[], encode: (s: string) => number[], bos: number, eos: number, valFraction: number): Splits {
  const nVal = heldOutCount(docs.length, valFraction);
  if (nVal >= docs.length) throw new JambaUserError(`val fraction ${valFraction} leaves no training documents (${docs.length} in all)`);
  const stream = (list: readonly string[]): Int32Array => {
    const out: number[] = [];
    for (const d of list) { out.push(bos); for (const id of encode(d)) out.push(id); out.push(eos); }
    return Int32Array.from(out);
  };
  return { train: stream(docs.slice(0, docs.length - nVal)), val: stream(docs.slice(docs.length - nVal)), trainDocs: docs.length - nVal, valDocs: nVal };
}

export interface SamplerState { epoch: number; index: number }

/** Windows [start, start+T] of a stream, in a seeded order per epoch. */
export class WindowSampler {
  readonly windows: number;
  private order: Int32Array;
  private orderEpoch = -1;

  constructor(private readonly stream: Int32Array, readonly T: number, private readonly seed: number, public state: SamplerState = { epoch: 0, index: 0 }) {
    this.windows = Math.floor((stream.length - 1) / T);
    if (this.windows < 1) throw new JambaUserError(`the training data has ${stream.length} tokens, fewer than one window of seq_len ${T} + 1`);
    this.order = new Int32Array(this.windows);
  }

  private permutation(epoch: number): Int32Array {
    if (this.orderEpoch !== epoch) {
      const u = rng((this.seed * 1000003 + epoch * 7919) >>> 0);
      for (let i = 0; i < this.windows; i++) this.order[i] = i;
      for (let i = this.windows - 1; i > 0; i--) {
        const j = Math.floor(u() * (i + 1));
        const t = this.order[i]!; this.order[i] = this.order[j]!; this.order[j] = t;
      }
      this.orderEpoch = epoch;
    }
    return this.order;
  }

  /** The next B windows as a micro-batch (advances the state). */
  next(B: number): MicroBatch {
    const T = this.T;
    const ids = new Int32Array(B * T), targets = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      if (this.state.index >= this.windows) this.state = { epoch: this.state.epoch + 1, index: 0 };
      const w = this.permutation(this.state.epoch)[this.state.index++]!;
      const s = w * T;
      ids.set(this.stream.subarray(s, s + T), b * T);
      targets.set(this.stream.subarray(s + 1, s + T + 1), b * T);
    }
    return { ids, targets, B, T };
  }
}

/** The held-out batches: the first `batches`·B windows of the validation stream, in order. */
export function evalBatches(stream: Int32Array, T: number, B: number, batches: number): MicroBatch[] {
  const n = Math.min(batches * B, Math.floor((stream.length - 1) / T));
  const out: MicroBatch[] = [];
  for (let w0 = 0; w0 < n; w0 += B) {
    const nb = Math.min(B, n - w0);
    const ids = new Int32Array(nb * T), targets = new Int32Array(nb * T);
    for (let b = 0; b < nb; b++) {
      const s = (w0 + b) * T;
      ids.set(stream.subarray(s, s + T), b * T);
      targets.set(stream.subarray(s + 1, s + T + 1), b * T);
    }
    out.push({ ids, targets, B: nb, T });
  }
  return out;
}
