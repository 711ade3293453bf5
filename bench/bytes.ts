/**
 * Bytes read per decoded token, from a GGUF's tensor table: every tensor once, except the token
 * embedding (one row) and the stacked MoE experts (k of nE experts per token on average). Plus the KV
 * cache (float32 K and V of every cached position in every attention layer). This is the physical
 * lower bound behind the decode numbers: decode tok/s ≤ bandwidth / bytes per token.
 */
import { GgufFile } from '../src/io/gguf/index.js';

export interface ModelBytes {
  /** Weight bytes read per decoded token. */
  weightBytes: number;
  /** Total weight bytes in the file. */
  fileBytes: number;
  /** Attention layers (for the KV term) and KV row size in floats (nKV·d). */
  attnLayers: number;
  kvRow: number;
}

export function modelBytes(path: string, expertsUsed: number, experts: number, kvRow: number): ModelBytes {
  const f = new GgufFile(path);
  try {
    let weightBytes = 0, fileBytes = 0, attnLayers = 0;
    for (const t of f.tensors) {
      fileBytes += t.bytes;
      if (t.name === 'token_embd.weight') weightBytes += t.bytes / t.ne[1]!;
      else if (t.name.includes('_exps.')) weightBytes += (t.bytes * expertsUsed) / experts;
      else weightBytes += t.bytes;
      if (t.name.endsWith('attn_k.weight')) attnLayers++;
    }
    return { weightBytes, fileBytes, attnLayers, kvRow };
  } finally {
    f.close();
  }
}

/** Bytes read to decode one token at context C: weights plus the K and V rows of every attention layer. */
export function bytesPerToken(m: ModelBytes, context: number): number {
  return m.weightBytes + 2 * 4 * m.kvRow * m.attnLayers * context;
}
