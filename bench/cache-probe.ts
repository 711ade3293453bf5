/**
 * How much of a decoded token's bytes the caches serve (not part of npm test): decodes greedily at a
 * synthetic context, timing each token alone: first N tokens one after another (steady state, what the
 * benchmark measures), then N tokens each right after the bandwidth probe has swept 1 GB (the L3,
 * 300 MB on this host, emptied of the model's bytes). Prints the median of each, and bytes per token
 * (bytes.ts) over each time. When the steady tokens are faster, the caches keep part of the model
 * between tokens, and the bytes model, which charges every byte at one rate, under-predicts that
 * model's speed. (A token right after one swept token is not yet steady: the L3 takes several tokens to
 * hold a model's bytes again, so the two phases are kept apart.)
 *
 *   node dist/bench/cache-probe.js --model <gguf> [--context C] [--tokens 24] [--threads 2]
 */
import { statSync } from 'node:fs';
import { argmax } from '../src/generate/sampling.js';
import { bytesPerToken, modelBytes } from './bytes.js';
import { cacheEmptier, countFlag, fillContext, flag, median, toolModel } from './common.js';

const C = countFlag('cache-probe', 'context', 0, 0), N = countFlag('cache-probe', 'tokens', 24, 1);
if (flag('model') && statSync(flag('model')!, { throwIfNoEntry: false })?.isDirectory()) {
  console.error('cache-probe: --model must be a GGUF file (bytes per token come from its tensor table), not a folder');
  process.exit(2);
}
const { be, model } = await toolModel('cache-probe', 'node dist/bench/cache-probe.js --model <gguf> [--context C] [--tokens 24] [--threads 2]');
const { nE, k, nKV, d, V } = model.dims;
const perToken = bytesPerToken(modelBytes(flag('model')!, k, nE, nKV * d), C);
const empty = cacheEmptier(be)!; // toolModel's backend is always the native one

const seq = model.newSequence();
if (C > 0) fillContext(seq, C, 2 * N + 8);
const logits = new Float32Array(V), one = [5];
const step = (): number => {
  const t0 = performance.now();
  model.forward([{ memory: seq, tokens: one }], { logits: 'last', out: logits });
  const ms = performance.now() - t0;
  one[0] = argmax(logits);
  return ms;
};
for (let i = 0; i < 4; i++) step(); // recording, first touches
const warm: number[] = [], cold: number[] = [];
for (let i = 0; i < N; i++) warm.push(step());
for (let i = 0; i < N; i++) {
  empty();
  cold.push(step());
}
const line = (what: string, ms: number) => `${what} ${ms.toFixed(2)} ms/token, ${(perToken / (ms / 1000) / 1e9).toFixed(1)} GB/s`;
console.log(`${flag('model')} at ${C} tokens (${(perToken / 2 ** 20).toFixed(1)} MiB a token): ${line('steady', median(warm))}; ${line('after a 1 GB sweep', median(cold))} (${(median(cold) / median(warm)).toFixed(3)}×)`);
