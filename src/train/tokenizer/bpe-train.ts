/**
 * Trains a byte-fallback BPE vocabulary in the SentencePiece style of Jamba's tokenizer (spec §14.2,
 * shared/data/README.md "Tokenizer test data"): text is normalised by prepending "▁" and turning every
 * space into "▁", so a word-initial piece carries its boundary ("▁Once"); characters seen fewer than
 * `minCharCount` times, and any unseen one, fall back to their UTF-8 bytes <0x00>…<0xFF>.
 *
 * Merges are learned inside words (a word is "▁" + non-space run; "\n" stands alone), so no merge
 * ever joins across a "▁" or a newline; applying them rank by rank to a whole normalised text (what
 * a tokenizer.json BPE with no pre-tokenizer does) therefore gives the same pieces as per word.
 * Each round merges the most frequent adjacent pair (ties: the pair of lower ids); pair counts are
 * updated incrementally for the words that contain the merged pair.
 *
 * Vocabulary layout: specials (ids 0..s−1), the 256 byte tokens, the alphabet by falling frequency,
 * then one token per merge whose result is new.
 */

export interface BpeVocab {
  /** id → token string. */
  tokens: string[];
  /** Merges in rank order, as [left, right] token strings. */
  merges: [string, string][];
  specials: string[];
  /** Id of <0x00>. */
  byteBase: number;
}

export interface BpeTrainOptions {
  vocabSize: number;
  specials: string[];
  minCharCount?: number;
}

export const SPACE = '\u2581';

/** The normaliser of the tokenizer.json we write: Prepend("▁") then Replace(" ", "▁") (nothing for ""). */
export function normalize(text: string): string {
  return text.length === 0 ? '' : SPACE + text.replaceAll(' ', SPACE);
}

/** Splits a normalised text into the units merges never cross. */
export function splitWords(norm: string): string[] {
  return norm.match(/\u2581[^\u2581\n]*|[^\u2581\n]+|\n/g) ?? [];
}

export function byteToken(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
}

export function trainBpe(texts: Iterable<string>, opts: BpeTrainOptions): BpeVocab {
  const minChar = opts.minCharCount ?? 10;
  const wordCounts = new Map<string, number>();
  for (const text of texts) for (const w of splitWords(normalize(text))) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);

  const charCounts = new Map<string, number>();
  for (const [w, c] of wordCounts) for (const ch of w) charCounts.set(ch, (charCounts.get(ch) ?? 0) + c);
  const alphabet = [...charCounts].filter(([, c]) => c >= minChar).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([ch]) => ch);

  const tokens: string[] = [...opts.specials];
  const byteBase = tokens.length;
  for (let b = 0; b < 256; b++) tokens.push(byteToken(b));
  const idOf = new Map<string, number>();
  tokens.forEach((t, i) => idOf.set(t, i));
  for (const ch of alphabet) { if (!idOf.has(ch)) { idOf.set(ch, tokens.length); tokens.push(ch); } }
  if (tokens.length > opts.vocabSize) throw new Error(`vocab_size ${opts.vocabSize} is smaller than specials + bytes + alphabet (${tokens.length})`);
  const firstMergeable = byteBase + 256;

  // ---- words as symbol arrays
  const enc = new TextEncoder();
  const words: number[][] = [], counts: number[] = [];
  for (const [w, c] of wordCounts) {
    const syms: number[] = [];
    for (const ch of w) {
      const id = idOf.get(ch);
      if (id !== undefined) syms.push(id);
      else for (const b of enc.encode(ch)) syms.push(byteBase + b);
    }
    words.push(syms); counts.push(c);
  }

  const KEY = 1 << 16;
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const mergeable = (a: number, b: number) => a >= firstMergeable && b >= firstMergeable;
  const addPairs = (wi: number, sign: number) => {
    const s = words[wi]!, c = counts[wi]! * sign;
    for (let i = 0; i + 1 < s.length; i++) {
      if (!mergeable(s[i]!, s[i + 1]!)) continue;
      const key = s[i]! * KEY + s[i + 1]!;
      pairCount.set(key, (pairCount.get(key) ?? 0) + c);
      if (sign > 0) { let set = pairWords.get(key); if (!set) pairWords.set(key, (set = new Set())); set.add(wi); }
    }
  };
  for (let wi = 0; wi < words.length; wi++) addPairs(wi, 1);

  const merges: [string, string][] = [];
  while (tokens.length < opts.vocabSize) {
    let best = -1, bestC = 0;
    for (const [key, c] of pairCount) if (c > bestC || (c === bestC && c > 0 && key < best)) { best = key; bestC = c; }
    if (best < 0 || bestC < 2) break;
    const a = Math.floor(best / KEY), b = best % KEY;
    const str = tokens[a]! + tokens[b]!;
    let id = idOf.get(str);
    if (id === undefined) { id = tokens.length; tokens.push(str); idOf.set(str, id); }
    if (id >= KEY) throw new Error('vocabulary too large for the pair key');
    merges.push([tokens[a]!, tokens[b]!]);
    for (const wi of pairWords.get(best) ?? []) {
      const s = words[wi]!;
      let has = false;
      for (let i = 0; i + 1 < s.length; i++) if (s[i] === a && s[i + 1] === b) { has = true; break; }
      if (!has) continue;
      addPairs(wi, -1);
      const out: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) { out.push(id); i++; } else out.push(s[i]!);
      }
      words[wi] = out;
      addPairs(wi, 1);
    }
    pairWords.delete(best);
    pairCount.delete(best);
  }
  return { tokens, merges, specials: opts.specials, byteBase };
}
