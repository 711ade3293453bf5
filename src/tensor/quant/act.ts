/**
 * Int8 activations for quantised matmuls (llama.cpp's CPU scheme; kernels/qdot.c is the native side
 * and must stay bit-identical to this file): each token's x is cut into blocks of 32 values (weights
 * Q8_0, Q4_0, Q4_1, Q5_0, Q5_1) or 256 (Q4_K, Q5_K, Q6_K), and each block becomes
 *   d = amax/127, q_i = clamp(round-half-even(x_i·id), ±127)        (float32 arithmetic)
 * with id = 127/amax for 32-blocks (llama.cpp's x86 Q8_0 quantiser) and 1/d for 256-blocks (its Q8_K),
 * so that x̂_i = d·q_i, where 32-blocks keep d rounded to fp16 (llama.cpp's Q8_0 activations do; its
 * Q8_K blocks for the K types keep a float32 d and equal ours up to a sign that cancels). The matmul
 * then computes Σ_i w_i·x̂_i with the weights exactly as stored.
 */
import { DTYPES, f16ToF32, f32ToF16, type DType } from '../dtype.js';
import { f, nearestInt } from './common.js';
import { JambaUserError } from '../../errors.js';

/** How quantised weights meet activations: int8 blocks (llama.cpp's way, fast) or exact float32. */
export type QuantDot = 'int8' | 'exact';

/** The default: $JAMBA_QUANT_DOT ('int8' | 'exact'), else int8. */
export function defaultQuantDot(): QuantDot {
  const v = process.env.JAMBA_QUANT_DOT;
  if (v === undefined || v === '' || v === 'int8') return 'int8';
  if (v === 'exact') return 'exact';
  throw new JambaUserError(`the environment variable JAMBA_QUANT_DOT must be 'int8' or 'exact', got '${v}'`);
}

/** Activation block length for a quantised weight type: its own block size (32, or 256 for the K types). */
export function actBlock(dtype: DType): number {
  return DTYPES[dtype].blockSize;
}

/**
 * Quantises `n` values of x from `xo` (n a multiple of `block`): q[qo..qo+n) and one scale per block
 * in d[dOff..]. Then x̂_i = d[block of i]·q_i.
 */
export function quantizeActivations(x: Float32Array, xo: number, n: number, block: number,
  q: Int8Array, qo: number, d: Float32Array, dOff: number): void {
  for (let b = 0; b < n / block; b++) {
    const base = xo + b * block;
    let amax = 0;
    for (let i = 0; i < block; i++) { const v = Math.abs(x[base + i]!); if (v > amax) amax = v; }
    const db = f(amax / 127);
    const id = db === 0 ? 0 : block === 32 ? f(127 / amax) : f(1 / db);
    d[dOff + b] = block === 32 ? f16ToF32(f32ToF16(db)) : db;
    for (let i = 0; i < block; i++) {
      const v = nearestInt(f(x[base + i]! * id));
      q[qo + b * block + i] = v > 127 ? 127 : v < -127 ? -127 : v;
    }
  }
}
