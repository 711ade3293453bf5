/**
 * The JIT warm-up at load (model/warmup.ts) runs the model's forward on a dry twin of the native
 * backend: it must reach no kernel, leave the model's results bit for bit as they are without it, and
 * do nothing on the reference backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/model/load.js';
import { warmJit } from '../../src/model/warmup.js';
import { createBackend } from '../../src/backends/index.js';
import { NativeBackend } from '../../src/backends/native/index.js';
import { loadAddon, type NativeAddon } from '../../src/backends/native/addon.js';
import { RefBackend } from '../../src/backends/ref/index.js';
import type { JambaModel } from '../../src/model/jamba.js';
import { referenceDir } from '../helpers/reference.js';
import { skipReason } from '../ops/helpers.js';

const OPS = ['matmul', 'matmulMany', 'rmsNorm', 'embed', 'gatedAct', 'add', 'attention', 'conv1d', 'scan'] as const;

/** The real addon with a count of its compute calls. */
function countingAddon(): { addon: NativeAddon; calls: () => number } {
  const real = loadAddon()!;
  let n = 0;
  const addon = Object.create(real) as NativeAddon;
  for (const op of OPS) {
    const f = (real[op] as (...a: unknown[]) => unknown).bind(real);
    (addon as unknown as Record<string, unknown>)[op] = (...a: unknown[]) => { n++; return f(...a); };
  }
  return { addon, calls: () => n };
}

/** Logits of a 5-token prefill then 6 greedy steps, all concatenated. */
function run(model: JambaModel): Float32Array {
  const seq = model.newSequence();
  const V = model.dims.V, steps = 6, all = new Float32Array((steps + 1) * V);
  let logits = model.forward([{ memory: seq, tokens: [3, 1, 4, 1, 5] }]);
  all.set(logits, 0);
  for (let i = 1; i <= steps; i++) {
    let best = 0;
    for (let v = 1; v < V; v++) if (logits[v]! > logits[best]!) best = v;
    logits = model.forward([{ memory: seq, tokens: [best] }]);
    all.set(logits, i * V);
  }
  return all;
}

test('the warm-up runs forwards on a dry twin that reaches no kernel', { skip: skipReason() }, async () => {
  const { addon, calls } = countingAddon();
  const model = await loadModel(referenceDir('hybrid-moe'), new NativeBackend(addon, { threads: 2 }), { warmup: false });
  const before = calls();
  assert.ok(warmJit(model, 8) > 0, 'the warm-up ran no forward');
  assert.equal(calls(), before, 'the warm-up called the real kernels');
  run(model);
  assert.ok(calls() > before, 'the counting addon counts (the model computes on it)');
});

test('results with the warm-up are bit for bit those without it', { skip: skipReason() }, async () => {
  const cold = run(await loadModel(referenceDir('hybrid-moe'), createBackend('native', 2), { warmup: false }));
  const warm = run(await loadModel(referenceDir('hybrid-moe'), createBackend('native', 2)));
  assert.deepEqual(new Uint32Array(warm.buffer), new Uint32Array(cold.buffer));
});

test('the reference backend has no dry twin: the warm-up does nothing there', async () => {
  const model = await loadModel(referenceDir('hybrid-moe'), new RefBackend(), { warmup: false });
  assert.equal(warmJit(model), 0);
});
