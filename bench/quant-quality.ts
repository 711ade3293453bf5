/**
 * Quality cost of each quantisation: perplexity (llama-perplexity's definition: chunks of n_ctx, the
 * second half of each scored, BOS first) of GGUF files on a held-out text, by jamba-ts and by llama.cpp
 * (node-llama-cpp, KV F32, flash attention off) on the same files and the same token ids.
 *
 *   node dist/bench/quant-quality.js --text held-out.txt --ctx 256 a.gguf b.gguf …
 *   node dist/bench/quant-quality.js --held-out <data file> [--val-fraction 0.05] --ctx 256 a.gguf …
 * The second form scores the documents `jamba train` holds out of that data file (its last
 * val-fraction, one document a line), e.g. the shipped model's held-out TinyStories stories.
 */
import { readFileSync } from 'node:fs';
import { getLlama, LlamaLogLevel, type ControlledEvaluateInputItem, type Token } from 'node-llama-cpp';
import { perplexity } from '../src/cli/commands/perplexity.js';
import { createBackend } from '../src/backends/index.js';
import { loadModel } from '../src/model/load.js';
import { loadTokenizer } from '../src/tokenizer/load.js';
import { readGgufMetadata } from '../src/io/gguf/index.js';
import { heldOutCount, readDocuments } from '../src/train/data.js';

const args = process.argv.slice(2);
const take = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = args[i + 1]!;
  args.splice(i, 2);
  return v;
};
const textPath = take('text', '');
const heldOutFrom = take('held-out', '');
const valFraction = Number(take('val-fraction', '0.05'));
const nCtx = Number(take('ctx', '256'));
const files = args;

async function llamaCppPpl(path: string, tokens: number[], bos: number | undefined): Promise<number> {
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: path });
  const ctx = await model.createContext({ contextSize: nCtx, batchSize: nCtx, threads: 2, flashAttention: false, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' });
  const seq = ctx.getSequence();
  const first = Math.floor(nCtx / 2);
  let nll = 0, count = 0;
  for (let i = 0; i + 1 <= Math.floor(tokens.length / nCtx); i++) {
    const chunk = tokens.slice(i * nCtx, (i + 1) * nCtx);
    if (bos !== undefined) chunk[0] = bos;
    await seq.clearHistory();
    const input = chunk.map((t, j): ControlledEvaluateInputItem => (j >= first && j < nCtx - 1
      ? [t as Token, { generateNext: { probabilities: true, options: { temperature: 1, topK: 0, topP: 1, minP: 0 } } }]
      : (t as Token)));
    const res = await seq.controlledEvaluate(input);
    for (let j = first; j < nCtx - 1; j++) {
      const p = res[j]?.next?.probabilities?.get(tokens[i * nCtx + j + 1]! as Token) ?? 0;
      nll -= Math.log(Math.max(p, 1e-30));
      count++;
    }
  }
  await ctx.dispose();
  await model.dispose();
  return Math.exp(nll / count);
}

function heldOutText(file: string): string {
  const docs = readDocuments([file]);
  return docs.slice(docs.length - heldOutCount(docs.length, valFraction)).join('\n') + '\n';
}

if (!textPath === !heldOutFrom) {
  console.error('quant-quality: give either --text <file> or --held-out <data file>');
  process.exit(2);
}
const text = heldOutFrom ? heldOutText(heldOutFrom) : readFileSync(textPath, 'utf8');
const rows: string[] = ['| file | jamba-ts PPL | llama.cpp PPL |', '| --- | --- | --- |'];
for (const f of files) {
  const tok = await loadTokenizer(f, { readGgufMetadata });
  const tokens = tok.encode(text, { addSpecial: false });
  const bos = tok.bosId ?? undefined;
  const model = await loadModel(f, createBackend('auto'));
  const ours = perplexity(model, tokens, nCtx, bos).ppl;
  const theirs = await llamaCppPpl(f, tokens, bos);
  rows.push(`| ${f.split('/').pop()} | ${ours.toFixed(4)} | ${theirs.toFixed(4)} |`);
  console.error(`${f}: ${tokens.length} tokens, jamba-ts ${ours.toFixed(4)}, llama.cpp ${theirs.toFixed(4)}`);
}
console.log(rows.join('\n'));
