/**
 * The arrays training arithmetic runs on. Every training op is written once over `Arr` and runs in
 * float64 (gradient checks against finite differences) or float32 (speed); a model's dtype is chosen
 * when its parameters are made and every buffer it allocates follows it.
 */
export type Arr = Float32Array | Float64Array;
export type TrainDType = 'f32' | 'f64';

export function alloc(dt: TrainDType, n: number): Arr {
  return dt === 'f64' ? new Float64Array(n) : new Float32Array(n);
}

/** A zeroed array of the same element type as `a`. */
export function like(a: Arr, n: number = a.length): Arr {
  return a instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

export function dtypeOf(a: Arr): TrainDType {
  return a instanceof Float64Array ? 'f64' : 'f32';
}
