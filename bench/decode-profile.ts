/**
 * Where a decoded token's time goes (not part of npm test): wraps every op of the native backend with
 * a timer, prefills a short prompt, then decodes greedily and prints milliseconds per token by op
 * (matmuls by weight type and shape), their sum, and the rest (JS between ops). Ops are timed one by
 * one, so the model decodes op by op here (recordedSteps off: a recorded step replays them natively,
 * out of reach of the timers); the line after the table times the recorded step on the same sequence.
 *
 * With `--context C` the memory is first filled to C positions synthetically (as the long-context
 * benchmark does), so attention's share at long context shows.
 *
 *   node dist/bench/decode-profile.js --model <gguf|folder> [--threads 2] [--decode 64] [--top 14] [--context C]
 */
import type { Weight } from '../src/tensor/weight.js';
import { argmax } from '../src/generate/sampling.js';
import { fillContext, flag, toolModel } from './common.js';

const OPS = ['matmul', 'matmulMany', 'rmsNorm', 'attention', 'conv1d', 'scan', 'gatedAct', 'add', 'embed'] as const;

const { be, model } = await toolModel('decode-profile', 'node dist/bench/decode-profile.js --model <gguf|folder> [--threads 2] [--decode 64] [--top 14] [--context C]');
const D = Number(flag('decode') ?? 64), top = Number(flag('top') ?? 14), C = Number(flag('context') ?? 0);
const ms = new Map<string, number>(), calls = new Map<string, number>();
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
    return r;
  };
}

model.recordedSteps = false;
const seq = model.newSequence();
if (C > 0) fillContext(seq, C, 32 + 2 * D);
let logits = model.forward([{ memory: seq, tokens: Array.from({ length: 32 }, (_, i) => i + 5) }]);
ms.clear();
calls.clear();
const t0 = performance.now();
for (let i = 0; i < D; i++) logits = model.forward([{ memory: seq, tokens: [argmax(logits)] }]);
const total = (performance.now() - t0) / D;
const opsTotal = [...ms.values()].reduce((a, b) => a + b, 0) / D;
console.log(`decode: ${total.toFixed(2)} ms/token (${(1000 / total).toFixed(1)} tok/s); ops ${opsTotal.toFixed(2)} ms, the rest (JS) ${(total - opsTotal).toFixed(2)} ms`);
for (const [k, t] of [...ms].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${(t / D).toFixed(3).padStart(7)} ms/token ${(100 * t / D / total).toFixed(1).padStart(5)} %  ${String(calls.get(k)! / D).padStart(3)} calls/token  ${k}`);
}
for (const op of OPS) delete ops[op]; // the backend's own methods again
model.recordedSteps = true;
const t1 = performance.now();
for (let i = 0; i < D; i++) logits = model.forward([{ memory: seq, tokens: [argmax(logits)] }]);
const rec = (performance.now() - t1) / D;
console.log(`the recorded step, untimed ops (the next ${D} tokens): ${rec.toFixed(2)} ms/token (${(1000 / rec).toFixed(1)} tok/s)`);
