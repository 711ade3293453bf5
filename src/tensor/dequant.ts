/**
 * Decoding rows of any stored type to float32: the slow, obvious path that every kernel is tested
 * against (quantised dot products against dequantise-then-f32 dot).
 */
import { DType, DTYPES, bf16ToF32, f16ToF32 } from './dtype.js';
import { Weight, numel } from './weight.js';
import { QUANT_FORMATS } from './quant/index.js';

/** Decodes `n` values of `dtype` starting at byte `byteOffset` of `src` into `out[outOffset..]`. */
export type RowDecoder = (src: Uint8Array, byteOffset: number, n: number, out: Float32Array, outOffset: number) => void;

const decoders = new Map<DType, RowDecoder>();

/** Block-quantised formats register their decoder here (see tensor/quant/). */
export function registerDecoder(dtype: DType, dec: RowDecoder): void {
  decoders.set(dtype, dec);
}

function dv(src: Uint8Array): DataView {
  return new DataView(src.buffer, src.byteOffset, src.byteLength);
}

registerDecoder('f32', (src, off, n, out, o) => {
  const v = dv(src);
  for (let i = 0; i < n; i++) out[o + i] = v.getFloat32(off + 4 * i, true);
});
registerDecoder('f16', (src, off, n, out, o) => {
  const v = dv(src);
  for (let i = 0; i < n; i++) out[o + i] = f16ToF32(v.getUint16(off + 2 * i, true));
});
registerDecoder('bf16', (src, off, n, out, o) => {
  const v = dv(src);
  for (let i = 0; i < n; i++) out[o + i] = bf16ToF32(v.getUint16(off + 2 * i, true));
});

// llama.cpp block formats (tensor/quant/): the quant modules do not import this file, so no cycle.
for (const q of QUANT_FORMATS) registerDecoder(q.dtype, (src, off, n, out, o) => q.dequantize(src, off, n, out, o));

export function decoderFor(dtype: DType): RowDecoder {
  const d = decoders.get(dtype);
  if (!d) throw new Error(`no decoder registered for ${dtype}`);
  return d;
}

/** Decodes a whole row of `cols` values: row `row` of a 2-D view. */
export function decodeRow(w: Weight, row: number, out: Float32Array, outOffset = 0): void {
  const cols = w.shape[w.shape.length - 1]!;
  const { blockSize, blockBytes } = DTYPES[w.dtype];
  decoderFor(w.dtype)(w.data, row * (cols / blockSize) * blockBytes, cols, out, outOffset);
}

/** The whole tensor as float32 (a copy). */
export function toF32(w: Weight): Float32Array {
  const n = numel(w.shape);
  const out = new Float32Array(n);
  decoderFor(w.dtype)(w.data, 0, n, out, 0);
  return out;
}
