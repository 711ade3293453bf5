/**
 * A steady-state decode step on the native backend allocates nothing on the JS heap (issue: "no
 * allocation in the decode loop"): once V8 has optimised the step (until then the interpreter itself
 * allocates), a window of one-token forwards with a caller-supplied logits buffer leaves V8's used
 * heap where it was (within LIMIT). A window in which a GC ran (the heap shrank) is measured again; the
 * test fails if no clean window shows up. Runs on a hybrid MoE reference model (attention,
 * Mamba, MoE and dense layers) and on a generated one with two KV heads and top-2 routing, both with
 * the recorded step (model/decode-step.ts) and op by op (what a batch of several sequences runs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeapStatistics } from 'node:v8';
import { loadModel } from '../../src/model/load.js';
import { createBackend } from '../../src/backends/index.js';
import { referenceDir } from '../helpers/reference.js';
import { generatedModel } from '../helpers/models.js';
import { skipReason } from '../ops/helpers.js';

const STEPS = 100;
const WARM = 5;    // windows always skipped (workspace buffers, cached views, first optimisation)
const WINDOWS = 60;
// bytes per window: ~20 bytes a step of V8's own remain once optimised; one typed-array view per step
// (~100 bytes) would exceed it, as would the ~3,300 bytes a step the model allocated before
const LIMIT = 4096;

for (const [name, dir] of [['hybrid-moe', () => referenceDir('hybrid-moe')], ['top2-dconv3-gqa2', () => generatedModel('top2-dconv3-gqa2')]] as const)
for (const recorded of [true, false])
test(`${name}: a decode step allocates nothing on the JS heap (native backend, ${recorded ? 'recorded step' : 'op by op'})`, { skip: skipReason() }, async () => {
  const model = await loadModel(dir(), createBackend('native', 2));
  model.recordedSteps = recorded;
  const mem = model.newSequence();
  mem.reserve(8 + WINDOWS * STEPS + 8);
  const out = new Float32Array(model.dims.V);
  const ids = [1, 2, 3, 4, 5, 6, 7, 8];
  const tok = [0];
  const opts = { logits: 'last' as const, out };
  model.forward([{ memory: mem, tokens: ids }], opts);
  const batch = [{ memory: mem, tokens: tok }]; // the caller's objects, made once like the engine's
  const step = (n: number): void => {
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let v = 1; v < out.length; v++) if (out[v]! > out[best]!) best = v;
      tok[0] = best;
      model.forward(batch, opts);
    }
  };
  const grew: number[] = [];
  for (let w = 0; w < WINDOWS; w++) {
    const before = getHeapStatistics().used_heap_size;
    step(STEPS);
    grew.push(getHeapStatistics().used_heap_size - before);
    if (w >= WARM && grew[w]! >= 0 && grew[w]! < LIMIT) return;
  }
  assert.fail(`windows of ${STEPS} decode steps grew the JS heap by ${grew.join(', ')} bytes`);
});
