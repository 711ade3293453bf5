/**
 * SentencePiece-style BPE over a GGUF `llama` vocabulary, as llama.cpp's `llm_tokenizer_spm_session`
 * does it (src/llama-vocab.cpp): split the text into characters, repeatedly merge the adjacent pair
 * whose concatenation is a vocabulary token with the highest score (ties: leftmost first), then map
 * each final symbol to its token; a symbol that is not a token is split back along the merges that
 * built it, and what still is no token falls back to byte tokens `<0xXX>`.
 *
 * The caller has already turned spaces into "▁" and added the space prefix.
 */
import { Heap } from './heap.js';

interface SpmSymbol {
  /** Start offset in the text (UTF-16 units) and length; length 0 once merged into its left neighbour. */
  start: number;
  n: number;
  prev: number;
  next: number;
}

interface Bigram {
  left: number;
  right: number;
  score: number;
  size: number;
}

export interface SpmVocabView {
  textToId: ReadonlyMap<string, number>;
  scores: Float32Array;
  /** Token for one byte (`<0xXX>`, else the one-byte text), or undefined. */
  byteToken(byte: number): number | undefined;
  unkId: number | undefined;
}

const encoder = new TextEncoder();

export function spmTokenize(text: string, vocab: SpmVocabView, out: number[]): void {
  const symbols: SpmSymbol[] = [];
  for (let offs = 0; offs < text.length; ) {
    const cp = text.codePointAt(offs)!;
    const len = cp > 0xffff ? 2 : 1;
    symbols.push({ start: offs, n: len, prev: symbols.length - 1, next: offs + len === text.length ? -1 : symbols.length + 1 });
    offs += len;
  }
  // Highest score first; equal scores: smaller left index first (llama.cpp's comparator).
  const queue = new Heap<Bigram>((a, b) => a.score > b.score || (a.score === b.score && a.left < b.left));
  const revMerge = new Map<string, [number, number]>();

  const tryAddBigram = (left: number, right: number): void => {
    if (left === -1 || right === -1) return;
    const l = symbols[left]!;
    const r = symbols[right]!;
    const s = text.slice(l.start, l.start + l.n + r.n);
    const id = vocab.textToId.get(s);
    if (id === undefined) return;
    queue.push({ left, right, score: vocab.scores[id]!, size: s.length });
    revMerge.set(s, [left, right]);
  };

  for (let i = 1; i < symbols.length; i++) tryAddBigram(i - 1, i);

  while (queue.size > 0) {
    const b = queue.pop()!;
    const l = symbols[b.left]!;
    const r = symbols[b.right]!;
    // Skip pairs that went stale because one side was merged since.
    if (l.n === 0 || r.n === 0 || l.n + r.n !== b.size) continue;
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) symbols[r.next]!.prev = b.left;
    tryAddBigram(l.prev, b.left);
    tryAddBigram(b.left, l.next);
  }

  const resegment = (sym: SpmSymbol): void => {
    const s = text.slice(sym.start, sym.start + sym.n);
    const id = vocab.textToId.get(s);
    if (id !== undefined) {
      out.push(id);
      return;
    }
    const p = revMerge.get(s);
    if (p === undefined) {
      for (const byte of encoder.encode(s)) {
        const t = vocab.byteToken(byte) ?? vocab.unkId;
        if (t !== undefined) out.push(t);
      }
      return;
    }
    resegment(symbols[p[0]]!);
    resegment(symbols[p[1]]!);
  };
  for (let i = symbols.length > 0 ? 0 : -1; i !== -1; i = symbols[i]!.next) resegment(symbols[i]!);
}
