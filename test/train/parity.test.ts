/**
 * The training forward computes the model of spec §3: on every ../shared/reference model its logits
 * equal the inference model's (src/model/jamba.ts on the ref backend) for the same weights, and HF's
 * golden logits, to float32 rounding (the reference README's guidance: ~1e-4 absolute).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { RefBackend } from '../../src/backends/ref/index.js';
import { openCheckpoint } from '../../src/io/checkpoint.js';
import { parseConfig } from '../../src/model/config.js';
import { loadModel } from '../../src/model/load.js';
import { TrainModel } from '../../src/train/model.js';
import { ParamSet } from '../../src/train/params.js';
import type { TrainDType } from '../../src/train/tensor.js';
import { REFERENCE, REFERENCE_CONFIGS, maxAbsDiff, readF32, referenceCases } from '../helpers/reference.js';

async function trainModelFor(name: string, dt: TrainDType): Promise<TrainModel> {
  const ck = await openCheckpoint(join(REFERENCE, name));
  const ps = new ParamSet(parseConfig(ck.config), dt);
  ps.loadFrom(ck.tensors);
  ck.tensors.close?.();
  return new TrainModel(ps);
}

for (const name of REFERENCE_CONFIGS) {
  test(`training forward = inference forward = HF logits: ${name}`, async () => {
    const tm32 = await trainModelFor(name, 'f32');
    const tm64 = await trainModelFor(name, 'f64');
    const inf = await loadModel(join(REFERENCE, name), new RefBackend());
    for (const c of referenceCases(name).filter((c) => c.name !== 'long')) {
      const B = c.batch, T = c.seq_len;
      const ids = Int32Array.from(c.input_ids.flat());
      const golden = readF32(name, c.logits);
      const l32 = tm32.forward(ids, null, B, T, { logits: true }).logits!;
      const l64 = tm64.forward(ids, null, B, T, { logits: true }).logits!;
      const infLogits = new Float32Array(golden.length);
      const V = inf.dims.V;
      c.input_ids.forEach((row, b) => {
        const out = inf.forward([{ memory: inf.newSequence(), tokens: row }], { logits: 'all' });
        infLogits.set(out, b * T * V);
      });
      const dInf = maxAbsDiff(l32, infLogits), dGold32 = maxAbsDiff(l32, golden), dGold64 = maxAbsDiff(l64, golden);
      assert.ok(dInf < 1e-4, `${name}/${c.name}: training f32 vs inference max |Δ| ${dInf}`);
      assert.ok(dGold32 < 1e-4, `${name}/${c.name}: training f32 vs HF max |Δ| ${dGold32}`);
      assert.ok(dGold64 < 1e-4, `${name}/${c.name}: training f64 vs HF max |Δ| ${dGold64}`);
    }
  });
}
