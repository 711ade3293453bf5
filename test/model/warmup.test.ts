/**
 * The JIT warm-up at load (model/warmup.ts) runs the model's forward inside the native backend's
 * dryRun: every kernel call it makes must carry zero work, the model's results must be bit for bit
 * those without it, and the reference backend is left alone.
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
import { argmax } from '../../src/generate/sampling.js';
import { referenceDir } from '../helpers/reference.js';
import { skipReason } from '../ops/helpers.js';

/** Each op's argument that says how much work it does (T, n, or the ids): zero means none. */
const WORK: Record<string, (a: unknown[]) => number> = {
  matmul: (a) => a[6] as number,
  matmulMany: (a) => { let w = 0; for (let i = 0; i < (a[1] as number); i++) w += a[2 + 8 * i + 6] as number; return w; },
  rmsNorm: (a) => a[3] as number,
  embed: (a) => (a[1] as Int32Array).length,
  gatedAct: (a) => a[3] as number,
  add: (a) => a[2] as number,
  attention: (a) => a[3] as number,
  conv1d: (a) => a[5] as number,
  scan: (a) => a[13] as number,
};

/**
 * The real addon, counting its compute calls and the work they carried. Ops called while a program
 * records (decode-step.ts) are stored, not run: they carry no work then; a program's replay carries
 * work when its `live` argument is 1.
 */
function countingAddon(): { addon: NativeAddon; calls: () => number; work: () => number } {
  const real = loadAddon()!;
  let n = 0, work = 0, recording = false;
  const addon = Object.create(real) as NativeAddon;
  const wrap = (op: string, f: (...a: unknown[]) => unknown) => { (addon as unknown as Record<string, unknown>)[op] = f; };
  const fn = (op: string) => ((real as unknown as Record<string, (...a: unknown[]) => unknown>)[op]!).bind(real);
  for (const [op, size] of Object.entries(WORK)) {
    const f = fn(op);
    wrap(op, (...a: unknown[]) => { n++; if (!recording) work += size(a); return f(...a); });
  }
  const record = fn('programRecord'), replay = fn('programRun');
  wrap('programRecord', (...a: unknown[]) => { recording = a[0] !== null; return record(...a); });
  wrap('programRun', (...a: unknown[]) => { n++; work += (a[4] as number) * ((a[2] as number) - (a[1] as number)); return replay(...a); });
  return { addon, calls: () => n, work: () => work };
}

/** Logits of a 5-token prefill then 6 greedy steps, all concatenated. */
function run(model: JambaModel): Float32Array {
  const seq = model.newSequence();
  const V = model.dims.V, steps = 6, all = new Float32Array((steps + 1) * V);
  let logits = model.forward([{ memory: seq, tokens: [3, 1, 4, 1, 5] }]);
  all.set(logits, 0);
  for (let i = 1; i <= steps; i++) {
    logits = model.forward([{ memory: seq, tokens: [argmax(logits)] }]);
    all.set(logits, i * V);
  }
  return all;
}

test('the warm-up calls the kernels with no work, and leaves the backend computing', { skip: skipReason() }, async () => {
  const { addon, calls, work } = countingAddon();
  const model = await loadModel(referenceDir('hybrid-moe'), new NativeBackend(addon, { threads: 2 }), { warmup: false });
  const c0 = calls(), w0 = work();
  assert.ok(warmJit(model, 8) > 0, 'the warm-up ran no forward');
  assert.ok(calls() > c0, 'the warm-up did not reach the addon (nothing of the real path warmed)');
  assert.equal(work(), w0, 'a kernel call during the warm-up carried work');
  run(model);
  assert.ok(work() > w0, 'after the warm-up the backend computes again');
});

test('results with the warm-up are bit for bit those without it', { skip: skipReason() }, async () => {
  const cold = run(await loadModel(referenceDir('hybrid-moe'), createBackend('native', 2), { warmup: false }));
  const warm = run(await loadModel(referenceDir('hybrid-moe'), createBackend('native', 2)));
  assert.deepEqual(new Uint32Array(warm.buffer), new Uint32Array(cold.buffer));
});

test('the reference backend has no dryRun: the warm-up does nothing there', async () => {
  const model = await loadModel(referenceDir('hybrid-moe'), new RefBackend(), { warmup: false });
  assert.equal(warmJit(model), 0);
});
