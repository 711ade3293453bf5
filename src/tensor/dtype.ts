/**
 * Storage types of weights. A weight keeps the type it was stored in (safetensors F32/F16/BF16, or a
 * llama.cpp block-quantised type from GGUF); kernels read it in that type.
 *
 * Block types pack `blockSize` consecutive values of a row into `blockBytes` bytes (llama.cpp's
 * ggml-common.h layouts). Plain types are blocks of one value.
 */
export type DType =
  | 'f32' | 'f16' | 'bf16'
  | 'q8_0' | 'q4_0' | 'q4_1' | 'q5_0' | 'q5_1'
  | 'q4_k' | 'q5_k' | 'q6_k';

export interface DTypeInfo {
  readonly blockSize: number;  // values per block
  readonly blockBytes: number; // bytes per block
  readonly ggmlType: number;   // ggml_type enum value in GGUF files
}

export const DTYPES: Readonly<Record<DType, DTypeInfo>> = {
  f32: { blockSize: 1, blockBytes: 4, ggmlType: 0 },
  f16: { blockSize: 1, blockBytes: 2, ggmlType: 1 },
  q4_0: { blockSize: 32, blockBytes: 18, ggmlType: 2 },
  q4_1: { blockSize: 32, blockBytes: 20, ggmlType: 3 },
  q5_0: { blockSize: 32, blockBytes: 22, ggmlType: 6 },
  q5_1: { blockSize: 32, blockBytes: 24, ggmlType: 7 },
  q8_0: { blockSize: 32, blockBytes: 34, ggmlType: 8 },
  q4_k: { blockSize: 256, blockBytes: 144, ggmlType: 12 },
  q5_k: { blockSize: 256, blockBytes: 176, ggmlType: 13 },
  q6_k: { blockSize: 256, blockBytes: 210, ggmlType: 14 },
  bf16: { blockSize: 1, blockBytes: 2, ggmlType: 30 },
};

export function isDType(s: string): s is DType {
  return Object.prototype.hasOwnProperty.call(DTYPES, s);
}

/** Bytes taken by one row of `cols` values. Throws if `cols` is not a whole number of blocks. */
export function rowBytes(dtype: DType, cols: number): number {
  const { blockSize, blockBytes } = DTYPES[dtype];
  if (cols % blockSize !== 0) {
    throw new Error(`a row of ${cols} values is not a whole number of ${dtype} blocks (${blockSize})`);
  }
  return (cols / blockSize) * blockBytes;
}

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

/** IEEE half → float32, exact. */
export function f16ToF32(h: number): number {
  const s = (h & 0x8000) ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** float32 → IEEE half, round to nearest even (as numpy / ggml do). */
export function f32ToF16(v: number): number {
  f32buf[0] = v;
  const x = u32buf[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && (r & 1))) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1))) r++;
  return sign | r;
}

/** bfloat16 → float32: the top 16 bits of the float32 pattern. Exact. */
export function bf16ToF32(b: number): number {
  u32buf[0] = (b & 0xffff) << 16;
  return f32buf[0]!;
}

/** float32 → bfloat16, round to nearest even (NaN kept quiet). */
export function f32ToBf16(v: number): number {
  f32buf[0] = v;
  const x = u32buf[0]!;
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}
