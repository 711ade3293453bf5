/**
 * `jamba perplexity --model <ref> --file <text> [--ctx-size n]`: perplexity of a text file with the
 * definition of llama.cpp's tools/perplexity/perplexity.cpp (perplexity()), so the numbers compare:
 * - the text is tokenized with the model's special-token rules (BOS when the tokenizer adds one);
 * - it is cut into ⌊tokens / n_ctx⌋ chunks of n_ctx tokens (the tail is dropped; at least 2 chunks'
 *   worth of tokens are needed); each chunk is evaluated from an empty state, its first token replaced
 *   by BOS when the tokenizer adds BOS;
 * - only the second half is scored: positions j = n_ctx/2 … n_ctx−2 predict token j+1, so each chunk
 *   adds n_ctx − 1 − n_ctx/2 negative log-likelihoods;
 * - PPL = exp(mean NLL), printed running per chunk as "[i]ppl," and finally
 *   "Final estimate: PPL = x +/- e" with e = ppl·sqrt((mean NLL² − mean NLL²)/(count − 1)).
 * --ctx-size defaults to 512, llama-perplexity's default.
 */
import { existsSync, readFileSync } from 'node:fs';
import { JambaUserError } from '../../errors.js';
import { looksLikeRepoId, resolveModelRef } from '../../io/hub.js';
import { readGgufMetadata } from '../../io/gguf/source.js';
import type { JambaModel } from '../../model/jamba.js';
import { loadTokenizer } from '../../tokenizer/load.js';
import { MODEL_RUN_FLAGS, type Command } from '../command.js';
import { loadModelFromFlags } from '../model-options.js';

export interface PerplexityResult { ppl: number; stderr: number; chunks: number; scored: number }

/** llama.cpp's perplexity() over `tokens` with chunks of `nCtx`; `bos` replaces each chunk's first token when set. */
export function perplexity(model: JambaModel, tokens: readonly number[], nCtx: number, bos: number | undefined,
  onChunk?: (i: number, chunks: number, runningPpl: number) => void): PerplexityResult {
  const chunks = Math.floor(tokens.length / nCtx);
  if (tokens.length < 2 * nCtx) {
    throw new JambaUserError(`the text has ${tokens.length} tokens; perplexity with --ctx-size ${nCtx} needs at least ${2 * nCtx}`);
  }
  const V = model.dims.V;
  const first = Math.floor(nCtx / 2);
  let nll = 0, nll2 = 0, count = 0;
  for (let i = 0; i < chunks; i++) {
    const chunk = tokens.slice(i * nCtx, (i + 1) * nCtx);
    if (bos !== undefined) chunk[0] = bos;
    const logits = model.forward([{ memory: model.newSequence(), tokens: chunk }], { logits: 'all' });
    for (let j = first; j < nCtx - 1; j++) {
      const row = logits.subarray(j * V, (j + 1) * V);
      let mx = -Infinity;
      for (let k = 0; k < V; k++) if (row[k]! > mx) mx = row[k]!;
      let s = 0;
      for (let k = 0; k < V; k++) s += Math.exp(row[k]! - mx);
      const lp = row[tokens[i * nCtx + j + 1]!]! - mx - Math.log(s);
      nll -= lp;
      nll2 += lp * lp;
    }
    count += nCtx - 1 - first;
    onChunk?.(i, chunks, Math.exp(nll / count));
  }
  const mean = nll / count;
  const ppl = Math.exp(mean);
  const v = nll2 / count - mean * mean;
  return { ppl, stderr: v > 0 ? ppl * Math.sqrt(v / (count - 1)) : 0, chunks, scored: count };
}

export const perplexityCommand: Command = {
  name: 'perplexity',
  usage: '--model <ref> --file <text> [--ctx-size n]',
  summary: "perplexity of a text file (llama.cpp's llama-perplexity definition)",
  flags: {
    model: { type: 'string', value: '<ref>', description: 'model folder, .gguf file or Hub repo id' },
    file: { type: 'string', value: '<text>', description: 'UTF-8 text file to score' },
    ...MODEL_RUN_FLAGS,
    'ctx-size': { type: 'string', value: '<n>', description: 'tokens per chunk', default: '512' },
  },
  async run(f) {
    let ref = f.requireString('model');
    const file = f.requireString('file');
    const nCtx = f.int('ctx-size', { min: 4 })!;
    if (!existsSync(file)) throw new JambaUserError(`--file ${file} does not exist`);
    const text = readFileSync(file, 'utf8');
    if (!existsSync(ref) && looksLikeRepoId(ref)) ref = await resolveModelRef(ref);
    const tok = await loadTokenizer(ref, { readGgufMetadata });
    const tokens = tok.encode(text);
    const { model } = await loadModelFromFlags(f, ref);
    const bos = tok.addBos ? tok.bosId : undefined;
    const chunks = Math.floor(tokens.length / nCtx);
    process.stderr.write(`perplexity: ${tokens.length} tokens, ${chunks} chunks of ${nCtx}, ${nCtx - 1 - Math.floor(nCtx / 2)} scored per chunk\n`);
    const t0 = Date.now();
    const r = perplexity(model, tokens, nCtx, bos, (i, n, p) => {
      const eta = ((Date.now() - t0) / (i + 1)) * (n - i - 1) / 1000;
      process.stdout.write(`[${i + 1}]${p.toFixed(4)},`);
      if (process.stderr.isTTY) process.stderr.write(`\rperplexity: chunk ${i + 1}/${n}, ETA ${eta.toFixed(0)} s   `);
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    process.stdout.write(`\nFinal estimate: PPL = ${r.ppl.toFixed(4)} +/- ${r.stderr.toFixed(5)}\n`);
    return 0;
  },
};
