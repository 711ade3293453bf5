/**
 * Reusable matmul argument objects (Workspace.ops makes them once; each call refills them), so that a
 * decode step builds no new objects.
 */
import type { MatmulOp } from '../backends/backend.js';
import type { Weight } from '../tensor/weight.js';

export function newOp(): MatmulOp {
  return { y: EMPTY, x: EMPTY, w: undefined as unknown as Weight, T: 0, bias: null };
}

export function setOp(op: MatmulOp, y: Float32Array, x: Float32Array, w: Weight, T: number, bias: Float32Array | null = null): void {
  op.y = y; op.x = x; op.w = w; op.T = T; op.bias = bias;
}

const EMPTY = new Float32Array(0);
