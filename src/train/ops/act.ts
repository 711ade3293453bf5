/**
 * Activations of `hidden_act` (spec §1.1: SwiGLU MLP/experts, the Mamba conv output and gate) with their
 * derivatives, and softplus with the reference's pass-through above 20 (spec §6.1 step 8, §12.2).
 */
import type { Act } from '../../backends/backend.js';
import { activation, erf } from '../../backends/ref/activations.js';

export { activation };

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** d act(x) / dx. */
export function activationGrad(act: Act): (x: number) => number {
  switch (act) {
    case 'silu':
      return (x) => { const s = 1 / (1 + Math.exp(-x)); return s * (1 + x * (1 - s)); };
    case 'gelu':
      return (x) => 0.5 * (1 + erf(x / Math.SQRT2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
    case 'relu':
      return (x) => (x > 0 ? 1 : 0);
  }
}

export function softplus(y: number): number {
  return y > 20 ? y : Math.log1p(Math.exp(y));
}

/** d softplus / dy: the logistic function, and exactly 1 on the pass-through branch. */
export function softplusGrad(y: number): number {
  return y > 20 ? 1 : 1 / (1 + Math.exp(-y));
}
