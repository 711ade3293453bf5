/**
 * A Hugging Face tokenizer.json as a GGUF vocabulary.
 *
 * SentencePiece-style BPE (Llama, Mistral, Jamba, our trainer's files: BPE with byte fallback, spaces
 * written "▁") → `llama`, as llama.cpp's LlamaHfVocab export, with two departures so that llama.cpp's
 * SentencePiece tokenizer (merge the adjacent pair whose concatenation is the highest-scoring token)
 * reproduces the file's BPE (merge the pair of lowest rank):
 *  - scores: LlamaHfVocab writes −1000 for every token, which leaves llama.cpp merging left to right;
 *    we give each token −(rank of the first merge that makes it), so merges happen in rank order;
 *  - add_space_prefix: true exactly when the normaliser prepends "▁" (Prepend, or Metaspace with a
 *    prepend scheme); llama.cpp's Jamba export always writes false, which drops the "▁" of the first
 *    word for Llama/Mistral-style files.
 * The two algorithms agree when every split of a token into two tokens is itself a merge, as in files
 * converted from SentencePiece (on the Llama 2 and Mistral fixtures these scores order the tokens exactly
 * as tokenizer.model's do). Our trainer's merges are not closed that way, yet no difference turned up:
 * vocabularies of 512–4000 trained on TinyStories tokenise 82k lines of other English text identically
 * both ways (test/io/convert-vocab-trained.test.ts checks a sample through llama.cpp).
 *
 * Byte-level BPE (GPT-2 style: ByteLevel pre-tokenizer/decoder, no byte fallback) → `gpt2` with the
 * merges and a `tokenizer.ggml.pre` recognised from the pre-tokenizer: plain ByteLevel → "gpt-2",
 * the Llama-3 split regex → "llama-bpe", the Qwen2 one → "qwen2". Others are not exported.
 */
import { TT, type AddedToken } from './convert-vocab-special.js';

type Json = Record<string, unknown>;

export interface BuiltVocab {
  model: 'llama' | 'gpt2';
  pre: string;
  tokens: (string | undefined)[];
  types: number[];
  scores: number[];
  merges: string[];
  addSpacePrefix: boolean;
  /** The BPE model's unk_token id. */
  unkId: number | undefined;
  /** Multi-character normal tokens that no merge makes (llama only). */
  notMerged: number;
  notes: string[];
}

const SPACE = '\u2581';
const BYTE_TOKEN = /^<0x[0-9A-Fa-f]{2}>$/;
const LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** How the normaliser and pre-tokenizer treat spaces, for a SentencePiece-style file. */
function spaceHandling(json: Json): { replaces: boolean; prefix: boolean; firstOnly: boolean; byteLevel: boolean; other: string[] } {
  const r = { replaces: false, prefix: false, firstOnly: false, byteLevel: false, other: [] as string[] };
  const visit = (n: Json | null | undefined): void => {
    if (!n) return;
    const type = String(n.type);
    const pattern = (n.pattern as { String?: string } | undefined)?.String;
    if (type === 'Sequence') for (const c of ((n.normalizers ?? n.pretokenizers ?? []) as Json[])) visit(c);
    else if (type === 'Prepend' && n.prepend === SPACE) r.prefix = true;
    else if (type === 'Replace' && pattern === ' ' && n.content === SPACE) r.replaces = true;
    else if (type === 'Metaspace' && (n.replacement ?? SPACE) === SPACE) {
      r.replaces = true;
      const scheme = n.prepend_scheme ?? (n.add_prefix_space === false ? 'never' : 'always');
      if (scheme !== 'never') r.prefix = true;
      if (scheme === 'first') r.firstOnly = true;
      if (n.split === true) r.other.push('Metaspace split');
    } else if (type === 'ByteLevel') r.byteLevel = true;
    else r.other.push(type);
  };
  visit(json.normalizer as Json | null);
  visit(json.pre_tokenizer as Json | null);
  return r;
}

function gpt2Pre(json: Json, model: Json): string | undefined {
  const pt = json.pre_tokenizer as Json | null;
  const norm = json.normalizer as Json | null;
  if (norm && norm.type !== 'NFC') return undefined;
  if (pt?.type === 'ByteLevel' && pt.use_regex !== false && pt.add_prefix_space !== true) return model.ignore_merges === true ? undefined : 'gpt-2';
  const parts = pt?.type === 'Sequence' ? (pt.pretokenizers as Json[]) : [];
  if (parts.length !== 2 || parts[1]!.type !== 'ByteLevel' || parts[1]!.use_regex !== false || parts[1]!.add_prefix_space === true) return undefined;
  const split = parts[0]!;
  const regex = (split.pattern as { Regex?: string } | undefined)?.Regex;
  if (split.type !== 'Split' || split.behavior !== 'Isolated' || split.invert === true) return undefined;
  if (regex === LLAMA3_SPLIT && model.ignore_merges === true) return 'llama-bpe';
  if (regex === QWEN2_SPLIT && model.ignore_merges !== true) return 'qwen2';
  return undefined;
}

/** The file's merges as [left, right] pairs (both the "a b" and the [a, b] forms). */
function mergePairs(model: Json): [string, string][] {
  const out: [string, string][] = [];
  for (const m of (Array.isArray(model.merges) ? model.merges : []) as unknown[]) {
    if (Array.isArray(m) && m.length === 2) out.push([String(m[0]), String(m[1])]);
    else if (typeof m === 'string') {
      const p = m.split(' ');
      if (p.length === 2) out.push([p[0]!, p[1]!]);
    }
  }
  return out;
}

/** tokenizer.json → vocabulary, or a sentence saying why it cannot be exported. */
export function vocabFromTokenizerJson(json: Json, added: Map<number, AddedToken>): BuiltVocab | string {
  const model = (json.model ?? {}) as Json;
  if (model.type !== 'BPE') return `its tokenizer.json model is ${String(model.type)}, and only BPE models are exported`;
  if (model.continuing_subword_prefix || model.end_of_word_suffix) return 'its BPE uses a subword prefix/suffix, which llama.cpp has no form for';
  const space = spaceHandling(json);
  const byteFallback = model.byte_fallback === true;
  let kind: 'llama' | 'gpt2';
  let pre = 'default';
  if (byteFallback || (space.replaces && !space.byteLevel)) kind = 'llama';
  else if (space.byteLevel) {
    const p = gpt2Pre(json, model);
    if (p === undefined) return 'its byte-level pre-tokenizer is not one llama.cpp names (recognised: GPT-2 ByteLevel, the Llama-3 and Qwen2 split regexes)';
    kind = 'gpt2';
    pre = p;
  } else return 'its tokenizer.json is neither SentencePiece-style (byte fallback, "▁" for spaces) nor byte-level BPE';

  const tokens: (string | undefined)[] = [];
  const vocab = (model.vocab ?? {}) as Record<string, number>;
  for (const [t, id] of Object.entries(vocab)) if (Number.isInteger(id) && id >= 0) tokens[id] = t;
  const unkId = typeof model.unk_token === 'string' ? vocab[model.unk_token] : undefined;
  const types: number[] = Array.from(tokens, (t, i) => { // (Array.from visits the holes too)
    if (t === undefined) return TT.UNUSED;
    if (i === unkId) return TT.UNKNOWN;
    return kind === 'llama' && byteFallback && BYTE_TOKEN.test(t) ? TT.BYTE : TT.NORMAL;
  });
  for (const [id, a] of added) {
    const base = tokens[id] === a.content ? types[id] : undefined;
    if (base === TT.UNKNOWN || base === TT.BYTE) continue; // keep the model's own unk and byte tokens
    // llama.cpp matches user-defined tokens in the raw text, so their "▁" become spaces
    tokens[id] = a.special || kind === 'gpt2' ? a.content : a.content.replaceAll(SPACE, ' ');
    types[id] = a.special ? TT.CONTROL : TT.USER_DEFINED;
  }

  const pairs = mergePairs(model);
  const notes: string[] = [];
  const out: BuiltVocab = {
    model: kind, pre, tokens, types, scores: [], merges: [], addSpacePrefix: space.prefix, unkId, notMerged: 0, notes,
  };
  const unapplied = (steps: string[]): void => {
    if (steps.length) notes.push(`llama.cpp does not apply the ${steps.join(', ')} step(s) of tokenizer.json`);
  };
  if (kind === 'gpt2') {
    out.merges = pairs.map(([a, b]) => `${a.replaceAll(' ', '\u0120')} ${b.replaceAll(' ', '\u0120')}`);
    unapplied(space.other.filter((t) => t !== 'Split')); // the split regex is what `pre` names
    return out;
  }
  const firstRank = new Map<string, number>();
  pairs.forEach(([a, b], r) => { if (!firstRank.has(a + b)) firstRank.set(a + b, r); });
  out.scores = Array.from(tokens, (t, i) => {
    if (t === undefined || types[i] !== TT.NORMAL) return 0;
    const r = firstRank.get(t);
    if (r !== undefined) return -r;
    // a single character is never a merge's result, and its score is never consulted
    if ([...t].length === 1) return 0;
    out.notMerged++;
    return -1e9;
  });
  if (!space.replaces) notes.push('tokenizer.json keeps spaces as they are, but llama.cpp\'s SentencePiece tokenizer writes them as "▁": text with spaces will tokenise differently');
  unapplied(space.other);
  if (space.firstOnly) notes.push('tokenizer.json puts "▁" only before the start of the text (Metaspace prepend_scheme "first"); llama.cpp also puts it after each special token');
  if (out.notMerged) notes.push(`${out.notMerged} multi-character tokens are made by no merge; llama.cpp may still produce them`);
  return out;
}
