/**
 * Trains a small byte-level BPE vocabulary (GPT-2 style) on a text, for tests: the same vocabulary can
 * be written as GGUF `tokenizer.ggml.*` metadata and as a tokenizer.json, so our GGUF `gpt2` tokenizer
 * can be checked against @huggingface/tokenizers as an independent implementation.
 */
import { BYTE_TO_CHAR, regexSplit } from '../../src/tokenizer/bpe-pretokenize.js';
import { byteLevel } from '../../src/tokenizer/bpe.js';

const GPT2_SPLIT = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";

export interface TinyBpe {
  tokens: string[];
  merges: string[];
}

/** Greedy BPE training: `nMerges` times, merge the most frequent adjacent pair (ties: first seen). */
export function trainTinyBpe(corpus: string, nMerges: number): TinyBpe {
  const counts = new Map<string, number>();
  for (const w of regexSplit(corpus, [GPT2_SPLIT])) {
    const bl = byteLevel(w);
    counts.set(bl, (counts.get(bl) ?? 0) + 1);
  }
  let words = [...counts].map(([w, c]) => ({ syms: Array.from(w), c }));
  const tokens = [...BYTE_TO_CHAR];
  const merges: string[] = [];
  for (let m = 0; m < nMerges; m++) {
    const pairs = new Map<string, number>();
    for (const { syms, c } of words) for (let i = 0; i + 1 < syms.length; i++) {
      const k = syms[i] + ' ' + syms[i + 1];
      pairs.set(k, (pairs.get(k) ?? 0) + c);
    }
    let best = '';
    let bestCount = 1;
    for (const [k, c] of pairs) if (c > bestCount) [best, bestCount] = [k, c];
    if (best === '') break;
    const [a, b] = best.split(' ') as [string, string];
    merges.push(best);
    tokens.push(a + b);
    words = words.map(({ syms, c }) => {
      const out: string[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
          out.push(a + b);
          i++;
        } else out.push(syms[i]!);
      }
      return { syms: out, c };
    });
  }
  return { tokens, merges };
}

/** The same vocabulary as a tokenizer.json object (ByteLevel pre-tokenizer and decoder, BPE model). */
export function tinyBpeTokenizerJson(bpe: TinyBpe, specials: string[]): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  bpe.tokens.forEach((t, i) => (vocab[t] = i));
  specials.forEach((s, i) => (vocab[s] = bpe.tokens.length + i));
  return {
    version: '1.0',
    added_tokens: specials.map((s, i) => ({
      id: bpe.tokens.length + i, content: s, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges: bpe.merges },
  };
}

/** The same vocabulary as GGUF metadata; the specials are control tokens after the BPE tokens. */
export function tinyBpeGgufMetadata(bpe: TinyBpe, specials: string[], extra: Record<string, unknown> = {}): Map<string, unknown> {
  const tokens = [...bpe.tokens, ...specials];
  const types = new Int32Array(tokens.length).fill(1);
  types.fill(3, bpe.tokens.length);
  return new Map<string, unknown>([
    ['tokenizer.ggml.model', 'gpt2'],
    ['tokenizer.ggml.pre', 'gpt-2'],
    ['tokenizer.ggml.tokens', tokens],
    ['tokenizer.ggml.token_type', types],
    ['tokenizer.ggml.merges', bpe.merges],
    ...Object.entries(extra),
  ]);
}
