/**
 * Byte-level BPE over a GGUF `gpt2` vocabulary, as llama.cpp's `llm_tokenizer_bpe_session`
 * (src/llama-vocab.cpp): pre-tokenize with the regexes of bpe-pretokenize.ts, write each piece's UTF-8
 * bytes as GPT-2 printable characters, then within each piece repeatedly merge the adjacent pair with
 * the lowest merge rank (ties: leftmost first) and map the final symbols to tokens.
 */
import { Heap } from './heap.js';
import { BYTE_TO_CHAR, regexSplit } from './bpe-pretokenize.js';

export interface BpeVocabView {
  textToId: ReadonlyMap<string, number>;
  /** "left right" → rank. */
  ranks: ReadonlyMap<string, number>;
  regexes: readonly string[];
  ignoreMerges: boolean;
  unkId: number | undefined;
}

interface Sym {
  text: string;
  prev: number;
  next: number;
}

interface Bigram {
  left: number;
  right: number;
  text: string;
  rank: number;
}

const encoder = new TextEncoder();

export function byteLevel(s: string): string {
  let out = '';
  for (const b of encoder.encode(s)) out += BYTE_TO_CHAR[b]!;
  return out;
}

export function bpeTokenize(text: string, vocab: BpeVocabView, out: number[]): void {
  for (const piece of regexSplit(text, vocab.regexes)) {
    const word = byteLevel(piece);
    if (vocab.ignoreMerges) {
      const whole = vocab.textToId.get(word);
      if (whole !== undefined) {
        out.push(whole);
        continue;
      }
    }
    const chars = Array.from(word);
    const syms: Sym[] = chars.map((ch, i) => ({ text: ch, prev: i - 1, next: i + 1 === chars.length ? -1 : i + 1 }));
    // Lowest rank first; equal ranks: smaller left index first (llama.cpp's comparator).
    const queue = new Heap<Bigram>((a, b) => a.rank < b.rank || (a.rank === b.rank && a.left < b.left));
    const addBigram = (left: number, right: number): void => {
      if (left === -1 || right === -1) return;
      const l = syms[left]!.text;
      const r = syms[right]!.text;
      const rank = vocab.ranks.get(l + ' ' + r);
      if (rank !== undefined) queue.push({ left, right, text: l + r, rank });
    };
    for (let i = 1; i < syms.length; i++) addBigram(i - 1, i);
    while (queue.size > 0) {
      const b = queue.pop()!;
      const l = syms[b.left]!;
      const r = syms[b.right]!;
      if (l.text === '' || r.text === '' || l.text + r.text !== b.text) continue; // stale pair
      l.text += r.text;
      r.text = '';
      l.next = r.next;
      if (r.next >= 0) syms[r.next]!.prev = b.left;
      addBigram(l.prev, b.left);
      addBigram(b.left, l.next);
    }
    for (let i = syms.length > 0 ? 0 : -1; i !== -1; i = syms[i]!.next) {
      const s = syms[i]!.text;
      const id = vocab.textToId.get(s);
      if (id !== undefined) {
        out.push(id);
        continue;
      }
      // Departure from llama.cpp (which looks up single raw bytes): fall back per character, then unk.
      for (const ch of s) {
        const t = vocab.textToId.get(ch) ?? vocab.unkId;
        if (t !== undefined) out.push(t);
      }
    }
  }
}
