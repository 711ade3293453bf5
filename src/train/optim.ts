/**
 * AdamW with decoupled weight decay (Loshchilov & Hutter; PyTorch `torch.optim.AdamW` order of
 * operations), global-norm gradient clipping, and the moments kept in the parameters' dtype.
 *   θ ← θ − lr·wd·θ   (only parameters with decay: matrices, not norms/biases/A_log/D)
 *   m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;  θ ← θ − lr·(m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + ε)
 */
import type { ParamSet } from './params.js';
import type { Arr } from './tensor.js';
import { like } from './tensor.js';
import { trainAddon } from './native.js';

export interface AdamWOptions { beta1: number; beta2: number; eps: number; weightDecay: number }
export const ADAMW_DEFAULTS: AdamWOptions = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };

export class AdamW {
  readonly m: Arr[];
  readonly v: Arr[];
  /** Updates taken so far (t of the bias correction). */
  step = 0;

  constructor(readonly params: ParamSet, readonly opts: AdamWOptions = ADAMW_DEFAULTS) {
    this.m = params.list.map((p) => like(p.data));
    this.v = params.list.map((p) => like(p.data));
  }

  /** One update with learning rate `lr` from the current grads. */
  update(lr: number): void {
    const { beta1, beta2, eps, weightDecay } = this.opts;
    this.step++;
    const c1 = 1 - beta1 ** this.step, c2 = 1 - beta2 ** this.step;
    const kn = trainAddon();
    this.params.list.forEach((p, j) => {
      const th = p.data, g = p.grad, m = this.m[j]!, v = this.v[j]!;
      const decay = p.decay ? 1 - lr * weightDecay : 1;
      if (kn && [th, g, m, v].every((a) => a instanceof Float32Array)) {
        kn.adamw(th as Float32Array, g as Float32Array, m as Float32Array, v as Float32Array, lr, beta1, beta2, eps, decay, c1, c2);
        return;
      }
      for (let i = 0; i < th.length; i++) {
        const gi = g[i]!;
        const mi = beta1 * m[i]! + (1 - beta1) * gi;
        const vi = beta2 * v[i]! + (1 - beta2) * gi * gi;
        m[i] = mi; v[i] = vi;
        th[i] = th[i]! * decay - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
      }
    });
  }
}

/** Global L2 norm of all gradients (float64 sum). */
export function gradNorm(ps: ParamSet): number {
  let s = 0;
  for (const p of ps.list) for (let i = 0; i < p.grad.length; i++) s += p.grad[i]! * p.grad[i]!;
  return Math.sqrt(s);
}

/** Scales every gradient so the global norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(ps: ParamSet, maxNorm: number): number {
  const n = gradNorm(ps);
  if (maxNorm > 0 && n > maxNorm) {
    const k = maxNorm / (n + 1e-6);
    for (const p of ps.list) for (let i = 0; i < p.grad.length; i++) p.grad[i] *= k;
  }
  return n;
}
