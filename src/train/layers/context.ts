/** What every training layer needs to know about the current batch: B sequences of T tokens, M = B·T rows. */
import type { Act } from '../../backends/backend.js';
import type { Dims } from '../../model/config.js';
import type { TrainDType } from '../tensor.js';

export interface BatchCtx {
  B: number;
  T: number;
  M: number;
  dims: Dims;
  eps: number;
  act: Act;
  dtype: TrainDType;
}

/** A sub-block: forward keeps what its backward needs; backward adds ∂loss/∂input into dx. */
export interface TrainBlock {
  forward(ctx: BatchCtx, x: Float32Array | Float64Array): Float32Array | Float64Array;
  backward(ctx: BatchCtx, dOut: Float32Array | Float64Array, dx: Float32Array | Float64Array): void;
}
