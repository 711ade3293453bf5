/**
 * Shared pieces of the llama.cpp block formats (ggml-common.h / ggml-quants.c): the format interface,
 * fp16 scale fields, and float32-exact arithmetic helpers.
 *
 * llama.cpp's reference quantizers compute in C `float` (strict IEEE float32, no contraction: ggml is
 * built as ISO C11). JavaScript numbers are doubles, so every step that C rounds to float is wrapped in
 * `f` (Math.fround). For + - * / and sqrt of float32 inputs, computing in double and rounding once gives
 * exactly the float32 result, so the quantized bytes match llama.cpp's bit for bit on the same input.
 */
import type { DType } from '../dtype.js';
import { f16ToF32, f32ToF16 } from '../dtype.js';

/** One llama.cpp block format: quantize, dequantize and dot product on whole rows of blocks. */
export interface QuantFormat {
  readonly dtype: DType;
  readonly blockSize: number;
  readonly blockBytes: number;
  /** Quantizes `n` values of `x` from `xOff` (n a multiple of blockSize) into `dst` at `dstOff`. */
  quantize(x: Float32Array, xOff: number, n: number, dst: Uint8Array, dstOff: number): void;
  /** Decodes `n` values starting at byte `off` of `src` into `out[outOff..]` (a tensor/dequant RowDecoder). */
  dequantize(src: Uint8Array, off: number, n: number, out: Float32Array, outOff: number): void;
  /** Σ x[xOff+i] · w[i] over `n` values of a quantized row starting at byte `off` of `src`. */
  dot(x: Float32Array, xOff: number, src: Uint8Array, off: number, n: number): number;
}

export const f = Math.fround;

/** fp16 → float32 for all 65536 patterns (scales are read constantly; a table beats the arithmetic). */
const F16 = new Float32Array(65536);
for (let h = 0; h < 65536; h++) F16[h] = f16ToF32(h);

/** Reads the little-endian fp16 at `src[off]` as a float. */
export function rdF16(src: Uint8Array, off: number): number {
  return F16[src[off]! | (src[off + 1]! << 8)]!;
}

/** Writes float32 `v` as little-endian fp16 (round to nearest even, as GGML_FP32_TO_FP16) and returns the stored value. */
export function wrF16(dst: Uint8Array, off: number, v: number): number {
  const h = f32ToF16(v);
  dst[off] = h & 0xff;
  dst[off + 1] = h >>> 8;
  return F16[h]!;
}

/** ggml's nearest_int: float32 round-half-to-even via the 1.5·2^23 trick (valid for |v| ≤ 4194303). */
export function nearestInt(v: number): number {
  return f(v + 12582912) - 12582912;
}

/** C's roundf: half away from zero. */
export function roundAway(v: number): number {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
}

/** Throws unless `n` is a whole number of blocks. */
export function checkBlocks(fmt: { dtype: DType; blockSize: number }, n: number): void {
  if (n % fmt.blockSize !== 0) throw new Error(`${n} values is not a whole number of ${fmt.dtype} blocks (${fmt.blockSize})`);
}

/** The value of largest magnitude among x[xo..xo+n) (first one on ties), as the *_0 quantizers pick it. */
export function signedAbsMax(x: Float32Array, xo: number, n: number): number {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < n; j++) {
    const v = x[xo + j]!;
    if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
  }
  return max;
}

/** [min, max] of x[xo..xo+n), as the *_1 quantizers compute them. */
export function minMax(x: Float32Array, xo: number, n: number): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let j = 0; j < n; j++) {
    const v = x[xo + j]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}
