/**
 * Where a decoded token's time goes (not part of npm test): wraps every op of the native backend with
 * a timer, prefills a short prompt, then decodes greedily and prints milliseconds per token by op
 * (matmuls by weight type and shape), their sum, and the rest (JS between ops). Ops are timed one by
 * one, so the model decodes op by op here (recordedSteps off: a recorded step replays them natively,
 * out of reach of the timers); the line after the table times the recorded step on the same sequence.
 *
 * With `--context C` the memory is first filled to C positions synthetically (as the long-context
 * benchmark does), so attention's share at long context shows. With `--cold` a 1 GB sweep empties the
 * caches before every token (untimed), so each op reads its weights from DRAM, as a real checkpoint's
 * would. Matmul rows show the GB/s their weights were read at (bytes of the weights they touched over
 * their time).
 *
 *   node dist/bench/decode-profile.js --model <gguf|folder> [--threads 2] [--decode 64] [--top 14] [--context C] [--cold]
 */
import type { Weight } from '../src/tensor/weight.js';
import { argmax } from '../src/generate/sampling.js';
import { cacheEmptier, countFlag, fillContext, toolModel } from './common.js';

const OPS = ['matmul', 'matmulMany', 'rmsNorm', 'attention', 'conv1d', 'scan', 'gatedAct', 'add', 'embed'] as const;

const USAGE = 'node dist/bench/decode-profile.js --model <gguf|folder> [--threads 2] [--decode 64] [--top 14] [--context C] [--cold]';
const cold = process.argv.includes('--cold');
const D = countFlag('decode-profile', 'decode', 64, 1), top = countFlag('decode-profile', 'top', 14, 1);
const C = countFlag('decode-profile', 'context', 0, 0);
const { be, model } = await toolModel('decode-profile', USAGE);
const sweep = cold ? cacheEmptier(be) : null;
if (cold && !sweep) {
  console.error('decode-profile: --cold needs the native backend (its streamSum sweeps the caches)');
  process.exit(2);
}
const ms = new Map<string, number>(), calls = new Map<string, number>(), bytes = new Map<string, number>();
const ops = be as unknown as Record<string, (...a: unknown[]) => unknown>;
for (const op of OPS) {
  const f = (be[op] as (...a: unknown[]) => unknown).bind(be);
  ops[op] = (...a: unknown[]) => {
    const t0 = performance.now();
    const r = f(...a);
    const w = op === 'matmulMany' ? (a[0] as { w: Weight }[])[0]!.w : a[2] as Weight;
    const key = op === 'matmul' ? `matmul ${w.dtype} ${w.shape.join('x')}`
      : op === 'matmulMany' ? `matmulMany ×${(a[0] as unknown[]).length} ${w.dtype} ${w.shape.join('x')}` : op;
    ms.set(key, (ms.get(key) ?? 0) + performance.now() - t0);
    calls.set(key, (calls.get(key) ?? 0) + 1);
    const read = op === 'matmul' ? w.data.byteLength
      : op === 'matmulMany' ? (a[0] as { w: Weight }[]).reduce((n, m) => n + m.w.data.byteLength, 0) : 0;
    bytes.set(key, (bytes.get(key) ?? 0) + read);
    return r;
  };
}

model.recordedSteps = false;
const seq = model.newSequence();
if (C > 0) fillContext(seq, C, 32 + 2 * D);
let logits = model.forward([{ memory: seq, tokens: Array.from({ length: 32 }, (_, i) => i + 5) }]);
ms.clear();
calls.clear();
bytes.clear();
/** milliseconds per token over D greedy tokens, each after the sweep when --cold (the sweep untimed) */
function decodeMs(): number {
  let spent = 0;
  for (let i = 0; i < D; i++) {
    sweep?.();
    const t0 = performance.now();
    logits = model.forward([{ memory: seq, tokens: [argmax(logits)] }]);
    spent += performance.now() - t0;
  }
  return spent / D;
}
const total = decodeMs();
const opsTotal = [...ms.values()].reduce((a, b) => a + b, 0) / D;
console.log(`decode${cold ? ' (cold: caches emptied before each token)' : ''}: ${total.toFixed(2)} ms/token (${(1000 / total).toFixed(1)} tok/s); ops ${opsTotal.toFixed(2)} ms, the rest (JS) ${(total - opsTotal).toFixed(2)} ms`);
for (const [k, t] of [...ms].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  const b = bytes.get(k) ?? 0, rate = b ? `${(b / t / 1e6).toFixed(1).padStart(5)} GB/s` : ''.padStart(10);
  console.log(`${(t / D).toFixed(3).padStart(7)} ms/token ${(100 * t / D / total).toFixed(1).padStart(5)} %  ${String(calls.get(k)! / D).padStart(3)} calls/token ${rate}  ${k}`);
}
for (const op of OPS) delete ops[op]; // the backend's own methods again
model.recordedSteps = true;
const rec = decodeMs();
console.log(`the recorded step, untimed ops (the next ${D} tokens): ${rec.toFixed(2)} ms/token (${(1000 / rec).toFixed(1)} tok/s)`);
