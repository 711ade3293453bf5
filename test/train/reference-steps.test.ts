/**
 * A few AdamW steps lower the loss on each ../shared/reference model (read in place, never copied),
 * in float32, on a fixed batch drawn from its own golden prompt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openCheckpoint } from '../../src/io/checkpoint.js';
import { parseConfig } from '../../src/model/config.js';
import { TrainModel } from '../../src/train/model.js';
import { AdamW, ADAMW_DEFAULTS } from '../../src/train/optim.js';
import { ParamSet } from '../../src/train/params.js';
import { trainStep } from '../../src/train/step.js';
import { REFERENCE, REFERENCE_CONFIGS, referenceCases } from '../helpers/reference.js';

for (const name of REFERENCE_CONFIGS) {
  test(`optimiser steps lower the loss: ${name}`, async () => {
    const ck = await openCheckpoint(join(REFERENCE, name));
    const ps = new ParamSet(parseConfig(ck.config), 'f32');
    ps.loadFrom(ck.tensors);
    const model = new TrainModel(ps);
    const c = referenceCases(name).find((x) => x.name === 'batch2')!;
    const B = c.batch, T = c.seq_len - 1;
    const ids = new Int32Array(B * T), tg = new Int32Array(B * T);
    c.input_ids.forEach((row, b) => { for (let t = 0; t < T; t++) { ids[b * T + t] = row[t]!; tg[b * T + t] = row[t + 1]!; } });
    const opt = new AdamW(ps, ADAMW_DEFAULTS);
    const losses: number[] = [];
    for (let s = 0; s < 6; s++) losses.push(trainStep(model, opt, [{ ids, targets: tg, B, T }], 3e-3, 1).loss);
    const final = model.forward(ids, tg, B, T).loss;
    assert.ok(final < losses[0]! - 0.5, `${name}: loss ${losses[0]} → ${final} (${losses.map((l) => l.toFixed(3)).join(', ')})`);
  });
}
