/**
 * What a converted GGUF vocabulary carries besides its tokens, read the way llama.cpp's SpecialVocab
 * (gguf-py/gguf/vocab.py) reads a Hugging Face folder, so that the GGUF behaves as the folder's tokenizer:
 *  - added tokens (tokenizer.json `added_tokens`, tokenizer_config.json `added_tokens_decoder`,
 *    added_tokens.json) laid over the base vocabulary: special → control, others → user-defined;
 *  - bos/eos/unk/pad ids: the token strings of tokenizer_config.json / special_tokens_map.json, else the
 *    post-processor's first/last special token, else config.json's *_token_id;
 *  - add_bos/add_eos: tokenizer_config.json's flags, else whether the post-processor adds them (the
 *    same rule as tokenizer/hf-tokenizer.ts, so our two tokenizer paths agree);
 *  - chat templates: the default one as `tokenizer.chat_template`, named ones as
 *    `tokenizer.chat_template.<name>` plus the `tokenizer.chat_templates` list (llama.cpp's GGUFWriter).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile, type HfTokenizerFiles } from '../tokenizer/hf-config.js';
import { GgufType } from './gguf/constants.js';
import { gv, type GgufMetadata } from './gguf/values.js';

/** llama.cpp's llama_token_type. */
export const TT = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

export interface AddedToken { content: string; special: boolean }

type Json = Record<string, unknown>;

/** Added tokens by id: tokenizer.json, then added_tokens.json (user-defined), then tokenizer_config.json. */
export function addedTokens(json: Json | undefined, files: HfTokenizerFiles, folder: string): Map<number, AddedToken> {
  const out = new Map<number, AddedToken>();
  for (const t of (Array.isArray(json?.added_tokens) ? json.added_tokens : []) as Json[]) {
    if (typeof t.id === 'number' && typeof t.content === 'string') out.set(t.id, { content: t.content, special: t.special === true });
  }
  const atPath = join(folder, 'added_tokens.json');
  if (existsSync(atPath)) {
    for (const [content, id] of Object.entries(readJsonFile(atPath))) {
      if (typeof id === 'number' && !out.has(id)) out.set(id, { content, special: false });
    }
  }
  const decoder = files.config.added_tokens_decoder;
  if (decoder && typeof decoder === 'object') {
    for (const [k, v] of Object.entries(decoder as Record<string, Json>)) {
      const id = Number(k);
      if (Number.isInteger(id) && typeof v?.content === 'string') out.set(id, { content: v.content, special: v.special === true });
    }
  }
  return out;
}

/** First/last special token ids the post-processor puts around a single sequence. */
function postProcessorEnds(json: Json | undefined): { first?: number; last?: number } {
  const pp = json?.post_processor as Json | null | undefined;
  if (!pp) return {};
  const procs = (pp.type === 'Sequence' && Array.isArray(pp.processors) ? pp.processors : [pp]) as Json[];
  for (const p of procs) {
    if (p.type === 'RobertaProcessing') {
      const cls = p.cls as [string, number] | undefined, sep = p.sep as [string, number] | undefined;
      return { first: cls?.[1], last: sep?.[1] };
    }
    if (p.type !== 'TemplateProcessing' || !Array.isArray(p.single)) continue;
    const single = p.single as Json[];
    const specials = (p.special_tokens ?? {}) as Record<string, { ids?: number[] }>;
    const idOf = (item: Json | undefined): number | undefined => {
      const name = (item?.SpecialToken as { id?: string } | undefined)?.id;
      return name === undefined ? undefined : specials[name]?.ids?.[0];
    };
    return { first: idOf(single[0]), last: single.length > 1 ? idOf(single.at(-1)) : undefined };
  }
  return {};
}

export interface SpecialIds {
  bos?: number;
  eos?: number;
  unk?: number;
  pad?: number;
  addBos: boolean;
  addEos: boolean;
}

/**
 * Special ids and BOS/EOS flags. `idOf` maps token text to id; `modelUnk` is the tokenizer model's own
 * unknown token; `fallback` holds SentencePiece trainer ids (used last) and the add_bos default for a
 * folder whose tokenizer files say nothing (LlamaTokenizer adds BOS).
 */
export function specialIds(
  json: Json | undefined, files: HfTokenizerFiles, rawConfig: Json, n: number, idOf: (t: string) => number | undefined,
  modelUnk: number | undefined, fallback: { bos?: number; eos?: number; unk?: number; pad?: number; addBos: boolean },
): SpecialIds {
  const inRange = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < n ? v : undefined);
  const named = (key: string): number | undefined => {
    const s = files.specialTokens[key];
    return s === undefined ? undefined : inRange(idOf(s));
  };
  const cfgId = (key: string): number | undefined => {
    const v = rawConfig[key];
    return inRange(Array.isArray(v) ? v[0] : v);
  };
  const pp = postProcessorEnds(json);
  const bos = named('bos_token') ?? inRange(pp.first) ?? cfgId('bos_token_id') ?? inRange(fallback.bos);
  const eos = named('eos_token') ?? inRange(pp.last) ?? cfgId('eos_token_id') ?? inRange(fallback.eos);
  const unk = named('unk_token') ?? inRange(modelUnk) ?? inRange(fallback.unk);
  const pad = named('pad_token') ?? cfgId('pad_token_id') ?? inRange(fallback.pad);
  const saysNothing = json === undefined && files.addBos === undefined;
  return {
    bos, eos, unk, pad,
    addBos: files.addBos ?? (saysNothing ? fallback.addBos : pp.first !== undefined && pp.first === bos),
    addEos: files.addEos ?? (pp.last !== undefined && pp.last === eos),
  };
}

/** Writes the special ids, BOS/EOS flags and chat templates. */
export function writeSpecials(meta: GgufMetadata, s: SpecialIds, chatTemplates: Record<string, string>): void {
  const ids: [string, number | undefined][] = [['bos_token_id', s.bos], ['eos_token_id', s.eos], ['unknown_token_id', s.unk], ['padding_token_id', s.pad]];
  for (const [key, id] of ids) if (id !== undefined) meta.set(`tokenizer.ggml.${key}`, gv.u32(id));
  meta.set('tokenizer.ggml.add_bos_token', gv.bool(s.addBos));
  meta.set('tokenizer.ggml.add_eos_token', gv.bool(s.addEos));
  const names: string[] = [];
  for (const [name, template] of Object.entries(chatTemplates)) {
    if (name === 'default') {
      meta.set('tokenizer.chat_template', gv.str(template));
      continue;
    }
    const safe = name.replace(/[^A-Za-z0-9]/g, '_'); // llama.cpp keeps only letters and digits in names
    names.push(safe);
    meta.set(`tokenizer.chat_template.${safe}`, gv.str(template));
  }
  if (names.length) meta.set('tokenizer.chat_templates', gv.arr(GgufType.STRING, names));
}
