/**
 * One optimiser step with gradient accumulation: `micro` forward/backward passes, each scaled by
 * 1/micro so the grads are the mean over micro-batches, then clipping and one AdamW update.
 */
import type { TrainModel } from './model.js';
import { clipGradNorm } from './optim.js';
import type { AdamW } from './optim.js';

export interface MicroBatch { ids: Int32Array; targets: Int32Array; B: number; T: number }
export interface StepStats { loss: number; ce: number; aux: number; tokens: number; gradNorm: number; lr: number }

export function trainStep(model: TrainModel, opt: AdamW, batches: MicroBatch[], lr: number, clip: number): StepStats {
  const ps = model.params;
  ps.zeroGrad();
  let loss = 0, ce = 0, aux = 0, tokens = 0;
  const k = 1 / batches.length;
  for (const b of batches) {
    const r = model.forward(b.ids, b.targets, b.B, b.T, { lossScale: k });
    model.backward();
    loss += r.loss * k; ce += r.ce * k; aux += r.aux * k; tokens += r.count;
  }
  const gradNorm = clipGradNorm(ps, clip);
  opt.update(lr);
  return { loss, ce, aux, tokens, gradNorm, lr };
}
