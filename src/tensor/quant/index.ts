/**
 * llama.cpp's block-quantised weight formats (ggml-common.h layouts, ggml-quants.c reference
 * quantizers): Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K. Each has quantize, dequantize and a
 * reference dot product (f32 row · quantised row). tensor/dequant.ts registers the decoders from here,
 * so every backend can read these types through decodeRow.
 */
import type { DType } from '../dtype.js';
import { DTYPES } from '../dtype.js';
import type { QuantFormat } from './common.js';
import { Q4_0 } from './q4_0.js';
import { Q4_1 } from './q4_1.js';
import { Q5_0 } from './q5_0.js';
import { Q5_1 } from './q5_1.js';
import { Q8_0 } from './q8_0.js';
import { Q4_K } from './q4_k.js';
import { Q5_K } from './q5_k.js';
import { Q6_K } from './q6_k.js';

export type { QuantFormat } from './common.js';

export const QUANT_FORMATS: readonly QuantFormat[] = [Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K];

const byType = new Map<DType, QuantFormat>(QUANT_FORMATS.map((q) => [q.dtype, q]));

for (const q of QUANT_FORMATS) {
  const info = DTYPES[q.dtype];
  if (info.blockSize !== q.blockSize || info.blockBytes !== q.blockBytes) {
    throw new Error(`quant format ${q.dtype} disagrees with the dtype table`);
  }
}

export function isQuantized(dtype: DType): boolean {
  return byType.has(dtype);
}

export function quantFormat(dtype: DType): QuantFormat {
  const q = byType.get(dtype);
  if (!q) throw new Error(`${dtype} is not a block-quantised type`);
  return q;
}

/** Quantizes rows of `cols` values (all of `x`) into a new buffer of `dtype` blocks. */
export function quantizeRows(dtype: DType, x: Float32Array, cols: number): Uint8Array {
  const q = quantFormat(dtype);
  if (cols % q.blockSize !== 0) throw new Error(`a row of ${cols} values is not a whole number of ${dtype} blocks (${q.blockSize})`);
  const rows = x.length / cols;
  const rowBytes = (cols / q.blockSize) * q.blockBytes;
  const out = new Uint8Array(rows * rowBytes);
  for (let r = 0; r < rows; r++) q.quantize(x, r * cols, cols, out, r * rowBytes);
  return out;
}
