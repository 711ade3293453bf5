/**
 * GGUF metadata values, typed as the file stores them (so a file read and written again keeps every
 * key's type), with constructors and conversion to plain JS values for callers that do not care.
 *
 * Representation: scalars carry their GgufType; 64-bit integers are bigints; arrays of numbers are
 * typed arrays of the matching kind, arrays of strings/bools are JS arrays, arrays of arrays hold
 * GgufArray items.
 */
import { GgufType } from './constants.js';

export type NumType = GgufType.U8 | GgufType.I8 | GgufType.U16 | GgufType.I16 | GgufType.U32 | GgufType.I32 | GgufType.F32 | GgufType.F64;
export type BigType = GgufType.U64 | GgufType.I64;

export type ArrayData =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array
  | BigUint64Array | BigInt64Array | boolean[] | string[] | GgufArray[];

export interface GgufArray { type: GgufType.ARRAY; itemType: GgufType; value: ArrayData }

export type GgufValue =
  | { type: NumType; value: number }
  | { type: BigType; value: bigint }
  | { type: GgufType.BOOL; value: boolean }
  | { type: GgufType.STRING; value: string }
  | GgufArray;

export type GgufMetadata = Map<string, GgufValue>;

/** Constructors for the writer. */
export const gv = {
  u8: (v: number): GgufValue => ({ type: GgufType.U8, value: v }),
  u16: (v: number): GgufValue => ({ type: GgufType.U16, value: v }),
  u32: (v: number): GgufValue => ({ type: GgufType.U32, value: v }),
  i32: (v: number): GgufValue => ({ type: GgufType.I32, value: v }),
  f32: (v: number): GgufValue => ({ type: GgufType.F32, value: v }),
  bool: (v: boolean): GgufValue => ({ type: GgufType.BOOL, value: v }),
  str: (v: string): GgufValue => ({ type: GgufType.STRING, value: v }),
  arr: (itemType: GgufType, value: ArrayData): GgufArray => ({ type: GgufType.ARRAY, itemType, value }),
};

/** Typed-array constructor for numeric item types. */
export const TYPED_ARRAYS: Partial<Record<GgufType, { new(n: number): ArrayData; BYTES_PER_ELEMENT: number }>> = {
  [GgufType.U8]: Uint8Array, [GgufType.I8]: Int8Array, [GgufType.U16]: Uint16Array, [GgufType.I16]: Int16Array,
  [GgufType.U32]: Uint32Array, [GgufType.I32]: Int32Array, [GgufType.F32]: Float32Array, [GgufType.F64]: Float64Array,
  [GgufType.U64]: BigUint64Array, [GgufType.I64]: BigInt64Array,
};

/** Size in bytes of a fixed-size scalar type (undefined for string and array). */
export function scalarSize(t: GgufType): number | undefined {
  switch (t) {
    case GgufType.U8: case GgufType.I8: case GgufType.BOOL: return 1;
    case GgufType.U16: case GgufType.I16: return 2;
    case GgufType.U32: case GgufType.I32: case GgufType.F32: return 4;
    case GgufType.U64: case GgufType.I64: case GgufType.F64: return 8;
    default: return undefined;
  }
}

/**
 * Plain JS form: numbers (64-bit integers as numbers when exactly representable, else bigint), strings,
 * booleans, typed arrays / arrays; arrays of arrays become arrays of plain arrays.
 */
export function plain(v: GgufValue): unknown {
  if (v.type === GgufType.ARRAY) {
    if (v.itemType === GgufType.ARRAY) return (v.value as GgufArray[]).map(plain);
    return v.value;
  }
  if (typeof v.value === 'bigint') {
    const n = Number(v.value);
    return Number.isSafeInteger(n) ? n : v.value;
  }
  return v.value;
}

/** The metadata as a Map of plain values (Checkpoint.ggufMetadata, tokenizer/). */
export function plainMetadata(meta: GgufMetadata): Map<string, unknown> {
  return new Map([...meta].map(([k, v]) => [k, plain(v)]));
}
