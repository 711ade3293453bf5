/**
 * Where a training step spends its time: runs a few steps of a config on random tokens and reports
 * milliseconds per part (Mamba / attention / MoE / MLP forward and backward, lm_head, loss, optimiser)
 * and training tokens/s next to forward-only tokens/s. Used to size the shipped model (docs/TRAINING.md).
 */
import type { Backend } from '../backends/backend.js';
import { parseConfig } from '../model/config.js';
import { useMatmulBackend } from './ops/linear.js';
import { rng } from '../model/random.js';
import { initParams } from './init.js';
import { TrainModel } from './model.js';
import { AdamW } from './optim.js';
import { ParamSet } from './params.js';
import { trainStep } from './step.js';

export interface ProfileReport {
  params: number; trainTokensPerS: number; forwardTokensPerS: number; msPerStep: number;
  /** CPU time of the whole process (all threads) per step: comparable on a busy machine, unlike wall time. */
  cpuMsPerStep: number;
  parts: Record<string, number>;
}

export function profileTraining(configJson: Record<string, unknown>, B: number, T: number, steps = 3, backend: Backend | null = null): ProfileReport {
  useMatmulBackend(backend);
  const cfg = parseConfig(configJson);
  const ps = new ParamSet(cfg, 'f32');
  initParams(ps, 1);
  const model = new TrainModel(ps);
  const opt = new AdamW(ps);
  const u = rng(3);
  const batch = () => {
    const ids = new Int32Array(B * T), targets = new Int32Array(B * T);
    for (let i = 0; i < B * T; i++) { ids[i] = 4 + Math.floor(u() * (cfg.vocabSize - 4)); targets[i] = 4 + Math.floor(u() * (cfg.vocabSize - 4)); }
    return { ids, targets, B, T };
  };
  trainStep(model, opt, [batch()], 1e-3, 1); // warm-up (JIT)
  model.timings = new Map();
  const t0 = performance.now(), c0 = process.cpuUsage();
  for (let s = 0; s < steps; s++) trainStep(model, opt, [batch()], 1e-3, 1);
  const train = (performance.now() - t0) / steps;
  const cpu = process.cpuUsage(c0);
  const cpuMsPerStep = (cpu.user + cpu.system) / 1000 / steps;
  const parts: Record<string, number> = {};
  let inModel = 0;
  for (const [k, v] of model.timings) { parts[k] = v / steps; inModel += v / steps; }
  parts['other (embed, norms, residual, optimiser)'] = train - inModel;
  model.timings = null;
  const b = batch();
  const f0 = performance.now();
  for (let s = 0; s < steps; s++) model.forward(b.ids, null, B, T, { logits: true });
  const fwd = (performance.now() - f0) / steps;
  return { params: ps.count(), trainTokensPerS: (B * T * 1000) / train, forwardTokensPerS: (B * T * 1000) / fwd, msPerStep: train, cpuMsPerStep, parts };
}
