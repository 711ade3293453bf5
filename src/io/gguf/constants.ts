/**
 * GGUF constants (llama.cpp ggml/include/gguf.h, ggml/src/gguf.cpp, ggml/include/ggml.h, llama.h):
 * magic, metadata value types, ggml tensor type ids and names, llama_ftype ids.
 */
import type { DType } from '../../tensor/dtype.js';
import { DTYPES } from '../../tensor/dtype.js';

/** "GGUF" as the first four bytes of the file. */
export const GGUF_MAGIC = 0x46554747; // little-endian u32 of 'G','G','U','F'
export const GGUF_DEFAULT_ALIGNMENT = 32;
/** ggml tensors have at most four dimensions (GGML_MAX_DIMS). */
export const GGML_MAX_DIMS = 4;

/** Metadata value types (enum gguf_type). */
export enum GgufType {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7, STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
}

export const GGUF_TYPE_NAMES: Record<number, string> = {
  0: 'u8', 1: 'i8', 2: 'u16', 3: 'i16', 4: 'u32', 5: 'i32', 6: 'f32', 7: 'bool', 8: 'string', 9: 'array', 10: 'u64', 11: 'i64', 12: 'f64',
};

/** Names of ggml_type ids (ggml.h), including the ones jamba-ts does not read, for error messages. */
export const GGML_TYPE_NAMES: Record<number, string> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 6: 'Q5_0', 7: 'Q5_1', 8: 'Q8_0', 9: 'Q8_1', 10: 'Q2_K', 11: 'Q3_K',
  12: 'Q4_K', 13: 'Q5_K', 14: 'Q6_K', 15: 'Q8_K', 16: 'IQ2_XXS', 17: 'IQ2_XS', 18: 'IQ3_XXS', 19: 'IQ1_S',
  20: 'IQ4_NL', 21: 'IQ3_S', 22: 'IQ2_S', 23: 'IQ4_XS', 24: 'I8', 25: 'I16', 26: 'I32', 27: 'I64', 28: 'F64',
  29: 'IQ1_M', 30: 'BF16', 34: 'TQ1_0', 35: 'TQ2_0', 39: 'MXFP4',
};

const BY_GGML = new Map<number, DType>(Object.entries(DTYPES).map(([k, v]) => [v.ggmlType, k as DType]));

/** The DType of a ggml type id, or undefined when jamba-ts does not read that type. */
export function dtypeOfGgml(id: number): DType | undefined {
  return BY_GGML.get(id);
}

export function ggmlTypeName(id: number): string {
  return GGML_TYPE_NAMES[id] ?? `unknown type ${id}`;
}

/** llama_ftype values written as general.file_type (llama.h). */
export const LLAMA_FTYPE = {
  ALL_F32: 0, MOSTLY_F16: 1, MOSTLY_Q4_0: 2, MOSTLY_Q4_1: 3, MOSTLY_Q8_0: 7, MOSTLY_Q5_0: 8, MOSTLY_Q5_1: 9,
  MOSTLY_Q4_K_M: 15, MOSTLY_Q5_K_M: 17, MOSTLY_Q6_K: 18, MOSTLY_BF16: 32,
} as const;

/** GGML_QNT_VERSION, written as general.quantization_version. */
export const GGML_QNT_VERSION = 2;
