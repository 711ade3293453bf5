/**
 * Load-balancing auxiliary loss (spec §7.3, HF `load_balancing_loss_func`): over the tokens of every
 * MoE layer taken together (M_tot = layers·tokens),
 *   f_e = (1/M_tot)·#{(layer, token) : e chosen}  (summed over the k slots),  P_e = (1/M_tot)·Σ p_e,
 *   aux = nE·Σ_e f_e·P_e        (= k for perfectly uniform routing).
 * f comes from top-k and carries no gradient; ∂aux/∂p[t, e] = nE·f_e / M_tot. The total loss adds
 * router_aux_loss_coef·aux.
 */
import type { Arr } from '../tensor.js';
import { like } from '../tensor.js';
import type { MoeBlock } from './moe.js';

/** Computes aux over the blocks' last forward and (if coef ≠ 0) sets each block's dProbsExtra. */
export function auxLoss(blocks: MoeBlock[], M: number, nE: number, k: number, coef: number, scale = 1): number {
  if (blocks.length === 0) return 0;
  const Mtot = blocks.length * M;
  const f = new Float64Array(nE), P = new Float64Array(nE);
  for (const b of blocks) {
    const probs = b.probs!, sel = b.sel!;
    for (let i = 0; i < M * k; i++) f[sel[i]!] += 1;
    for (let t = 0; t < M; t++) for (let e = 0; e < nE; e++) P[e] += probs[t * nE + e]!;
  }
  let aux = 0;
  for (let e = 0; e < nE; e++) { f[e] = f[e]! / Mtot; P[e] = P[e]! / Mtot; aux += f[e]! * P[e]!; }
  aux *= nE;
  if (coef !== 0) {
    for (const b of blocks) {
      const d: Arr = like(b.probs!);
      for (let t = 0; t < M; t++) for (let e = 0; e < nE; e++) d[t * nE + e] = (scale * coef * nE * f[e]!) / Mtot;
      b.dProbsExtra = d;
    }
  }
  return aux;
}
