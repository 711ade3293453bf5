/**
 * A fast encoder for a trained BpeVocab, used to tokenise training corpora: the normalised text is
 * split into words (bpe-train.ts), each distinct word is encoded once (lowest-rank adjacent pair
 * first, leftmost among equals, as tokenizers' BPE does) and cached. It gives the same ids as the
 * written tokenizer.json loaded by @huggingface/tokenizers (checked in test/train/tokenizer.test.ts).
 */
import type { BpeVocab } from './bpe-train.js';
import { normalize, splitWords } from './bpe-train.js';

export class BpeEncoder {
  private readonly idOf = new Map<string, number>();
  private readonly rank = new Map<number, number>();
  private readonly mergedId = new Map<number, number>();
  private readonly cache = new Map<string, number[]>();
  private readonly enc = new TextEncoder();

  constructor(readonly vocab: BpeVocab) {
    vocab.tokens.forEach((t, i) => { if (!vocab.specials.includes(t) || !this.idOf.has(t)) this.idOf.set(t, i); });
    vocab.merges.forEach(([l, r], i) => {
      const key = this.idOf.get(l)! * 65536 + this.idOf.get(r)!;
      if (!this.rank.has(key)) { this.rank.set(key, i); this.mergedId.set(key, this.idOf.get(l + r)!); }
    });
  }

  /** Ids of `text` (no BOS/EOS; special-token text is not recognised). */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const w of splitWords(normalize(text))) {
      let ids = this.cache.get(w);
      if (!ids) { ids = this.encodeWord(w); this.cache.set(w, ids); }
      for (const id of ids) out.push(id);
    }
    return out;
  }

  private encodeWord(w: string): number[] {
    const s: number[] = [];
    for (const ch of w) {
      const id = this.idOf.get(ch);
      if (id !== undefined && id >= this.vocab.byteBase + 256) s.push(id);
      else for (const b of this.enc.encode(ch)) s.push(this.vocab.byteBase + b);
    }
    for (;;) {
      let bestI = -1, bestR = Infinity;
      for (let i = 0; i + 1 < s.length; i++) {
        const r = this.rank.get(s[i]! * 65536 + s[i + 1]!);
        if (r !== undefined && r < bestR) { bestR = r; bestI = i; }
      }
      if (bestI < 0) return s;
      s.splice(bestI, 2, this.mergedId.get(s[bestI]! * 65536 + s[bestI + 1]!)!);
    }
  }
}
