/**
 * Reusable argument objects for backend calls (Workspace.ops makes them once; each call refills their
 * fields), so that a decode step builds no new objects.
 */
import type { AttentionArgs, ConvArgs, MatmulOp, ScanArgs } from '../backends/backend.js';
import type { Weight } from '../tensor/weight.js';

const EMPTY = new Float32Array(0);

export function newOp(): MatmulOp {
  return { y: EMPTY, x: EMPTY, w: undefined as unknown as Weight, T: 0, bias: null };
}

export function setOp(op: MatmulOp, y: Float32Array, x: Float32Array, w: Weight, T: number, bias: Float32Array | null = null): void {
  op.y = y; op.x = x; op.w = w; op.T = T; op.bias = bias;
}

export function newAttentionArgs(): AttentionArgs {
  // scale starts as a non-number so V8 keeps the field tagged: reading it never boxes
  return { q: EMPTY, k: EMPTY, v: EMPTY, T: 0, past: 0, nH: 0, nKV: 0, d: 0, scale: null as unknown as number, out: EMPTY };
}

export function newConvArgs(): ConvArgs {
  return { u: EMPTY, uStride: 0, state: EMPTY, w: EMPTY, bias: null, T: 0, E: 0, K: 0, act: 'silu', out: EMPTY };
}

export function newScanArgs(): ScanArgs {
  return {
    u: EMPTY, dt: EMPTY, A: EMPTY, B: EMPTY, C: EMPTY, bOffset: 0, cOffset: 0, bcStride: 0, D: EMPTY, z: EMPTY,
    zOffset: 0, zStride: 0, h: EMPTY, T: 0, E: 0, N: 0, act: 'silu', out: EMPTY,
  };
}
