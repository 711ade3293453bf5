/**
 * The `tokenizer.ggml.*` metadata of a GGUF file, read into plain arrays (facts from llama.cpp's
 * src/llama-vocab.cpp `llama_vocab::impl::load`). Accepts the metadata as a Map of key → value where
 * arrays may be JS arrays or typed arrays and integers may be numbers or bigints, so it does not depend
 * on how a GGUF reader represents them.
 *
 * Defaults as in llama.cpp: a `llama` (SentencePiece) vocab has bos=1, eos=2, unk=0 and adds a space
 * prefix; a `gpt2` (byte-level BPE) vocab has none of these. Explicit keys override.
 */
import { JambaUserError } from '../errors.js';

/** llama.cpp's `llama_token_type` values in `tokenizer.ggml.token_type`. */
export const enum TokenType {
  Undefined = 0,
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
}

export interface GgufVocab {
  model: 'llama' | 'gpt2';
  /** `tokenizer.ggml.pre` (BPE pre-tokenizer name); '' when absent. */
  pre: string;
  tokens: string[];
  scores: Float32Array;
  types: Int32Array;
  /** BPE merges "left right", in rank order (gpt2 only). */
  merges: string[];
  bosId: number | undefined;
  eosId: number | undefined;
  unkId: number | undefined;
  padId: number | undefined;
  eotId: number | undefined;
  eomId: number | undefined;
  /** tokenizer.ggml.add_bos_token when present (the default depends on model and pre-tokenizer). */
  addBos: boolean | undefined;
  addEos: boolean;
  addSpacePrefix: boolean;
  chatTemplates: Record<string, string>;
}

export type GgufMetadata = ReadonlyMap<string, unknown>;

function arrayOf(meta: GgufMetadata, key: string, origin: string): ArrayLike<unknown> | undefined {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return v as unknown as ArrayLike<unknown>;
  throw new JambaUserError(`${origin}: GGUF key ${key} should be an array`);
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

function bool(meta: GgufMetadata, key: string): boolean | undefined {
  const v = meta.get(key);
  if (typeof v === 'boolean') return v;
  const n = num(v);
  return n === undefined ? undefined : n !== 0;
}

export function readGgufVocab(meta: GgufMetadata, origin: string): GgufVocab {
  const model = meta.get('tokenizer.ggml.model');
  if (model === undefined) throw new JambaUserError(`${origin} has no tokenizer (no tokenizer.ggml.model key)`);
  if (model !== 'llama' && model !== 'gpt2') {
    throw new JambaUserError(`${origin}: tokenizer model '${String(model)}' is not supported (only 'llama' and 'gpt2')`);
  }
  const rawTokens = arrayOf(meta, 'tokenizer.ggml.tokens', origin);
  if (!rawTokens) throw new JambaUserError(`${origin}: tokenizer.ggml.tokens is missing`);
  const n = rawTokens.length;
  const tokens: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const t = rawTokens[i];
    if (typeof t !== 'string') throw new JambaUserError(`${origin}: tokenizer.ggml.tokens[${i}] is not a string`);
    // llama.cpp renames empty tokens so that every text maps back to one id.
    tokens[i] = t === '' ? `[EMPTY_${i}]` : t;
  }
  const numbers = (key: string, into: Float32Array | Int32Array): void => {
    const a = arrayOf(meta, key, origin);
    if (!a) return;
    if (a.length !== n) throw new JambaUserError(`${origin}: ${key} has ${a.length} entries, tokens has ${n}`);
    for (let i = 0; i < n; i++) into[i] = num(a[i]) ?? 0;
  };
  const scores = new Float32Array(n);
  numbers('tokenizer.ggml.scores', scores);
  const types = new Int32Array(n).fill(TokenType.Normal);
  numbers('tokenizer.ggml.token_type', types);

  const merges: string[] = [];
  if (model === 'gpt2') {
    const m = arrayOf(meta, 'tokenizer.ggml.merges', origin);
    if (!m) throw new JambaUserError(`${origin}: a gpt2 tokenizer needs tokenizer.ggml.merges`);
    for (let i = 0; i < m.length; i++) merges.push(String(m[i]));
  }

  const id = (key: string, dflt: number | undefined): number | undefined => {
    const v = num(meta.get(`tokenizer.ggml.${key}`));
    // llama.cpp keeps the default when the id is out of range.
    return v !== undefined && v >= 0 && v < n ? v : dflt;
  };
  const spm = model === 'llama';
  const chatTemplates: Record<string, string> = {};
  for (const [k, v] of meta) {
    if (typeof v !== 'string') continue;
    if (k === 'tokenizer.chat_template') chatTemplates.default = v;
    else if (k.startsWith('tokenizer.chat_template.')) chatTemplates[k.slice('tokenizer.chat_template.'.length)] = v;
  }
  const pre = meta.get('tokenizer.ggml.pre');
  return {
    model,
    pre: typeof pre === 'string' ? pre : '',
    tokens,
    scores,
    types,
    merges,
    bosId: id('bos_token_id', spm ? 1 : undefined),
    eosId: id('eos_token_id', spm ? 2 : undefined),
    unkId: id('unknown_token_id', spm ? 0 : undefined),
    padId: id('padding_token_id', undefined),
    eotId: id('eot_token_id', undefined),
    eomId: id('eom_token_id', undefined),
    addBos: bool(meta, 'tokenizer.ggml.add_bos_token'),
    addEos: bool(meta, 'tokenizer.ggml.add_eos_token') ?? false,
    addSpacePrefix: bool(meta, 'tokenizer.ggml.add_space_prefix') ?? spm,
    chatTemplates,
  };
}
