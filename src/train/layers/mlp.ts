/**
 * SwiGLU MLP (spec §7.1): y = W_down·(act(W_gate·x) ⊙ W_up·x), no biases. Used as the dense
 * feed-forward and as each MoE expert (on the rows routed to it).
 */
import type { Act } from '../../backends/backend.js';
import { gluBwd, gluFwd } from '../ops/elementwise.js';
import { linearBwd, linearFwd } from '../ops/linear.js';
import type { Arr } from '../tensor.js';
import { like } from '../tensor.js';

export interface MlpWeights { gate: { data: Arr; grad: Arr }; up: { data: Arr; grad: Arr }; down: { data: Arr; grad: Arr } }
export interface MlpCache { x: Arr; g: Arr; u: Arr; h: Arr; n: number }

/** y [n, H] from x [n, H]; returns the cache for mlpBwd. */
export function mlpFwd(y: Arr, x: Arr, w: MlpWeights, n: number, H: number, I: number, act: Act): MlpCache {
  const g = like(x, n * I), u = like(x, n * I), h = like(x, n * I);
  linearFwd(g, x, w.gate.data, null, n, H, I);   // [n, I]
  linearFwd(u, x, w.up.data, null, n, H, I);     // [n, I]
  gluFwd(h, u, g, 0, I, n, I, act);   // h = act(g) ⊙ u
  linearFwd(y, h, w.down.data, null, n, I, H);   // [n, H]
  return { x, g, u, h, n };
}

/** dx [n, H] += ∂/∂x given dy [n, H]; weight gradients accumulate. */
export function mlpBwd(dx: Arr, dy: Arr, w: MlpWeights, c: MlpCache, H: number, I: number, act: Act): void {
  const { n } = c;
  const dh = like(dy, n * I);
  linearBwd(dh, w.down.grad, null, dy, c.h, w.down.data, n, I, H);
  const dg = like(dy, n * I), du = like(dy, n * I);
  gluBwd(du, dg, dh, c.u, c.g, 0, I, n, I, act);
  linearBwd(dx, w.gate.grad, null, dg, c.x, w.gate.data, n, H, I);
  linearBwd(dx, w.up.grad, null, du, c.x, w.up.data, n, H, I);
}
