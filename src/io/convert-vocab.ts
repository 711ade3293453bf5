/**
 * Tokenizer metadata for a converted GGUF. llama.cpp refuses a model without a vocabulary even when it
 * is only fed token ids, and its vocabulary must have exactly vocab_size tokens (token_embd's rows).
 *
 * A folder's tokenizer (folderVocab) is exported as llama.cpp's convert_hf_to_gguf.py does for Jamba:
 * tokenizer.model when there is one (read by convert-vocab-spm.ts), else tokenizer.json
 * (convert-vocab-json.ts), with added tokens, special ids, BOS/EOS flags and chat templates from the
 * side files (convert-vocab-special.ts); short of vocab_size it is padded with unused "[PADi]" tokens.
 * tokenizer.model is read rather than derived from tokenizer.json because it is what llama.cpp reads
 * (so the GGUF carries the model's own scores and types, as a llama.cpp export would), and a folder
 * may have nothing else; on the Llama 2 / Mistral fixtures both give the same tokens, types and score
 * order (test/io/convert-vocab.test.ts).
 * Where llama.cpp's own export would tokenise differently from the folder's tokenizer, we follow the
 * tokenizer (each such place is described in those files). A tokenizer that cannot be exported, or
 * that has more tokens than vocab_size, gets the placeholder below and a note saying why.
 *
 * For a folder without tokenizer files we write a placeholder SentencePiece-style ("llama") vocabulary:
 * the config's pad/bos/eos ids as control tokens, an <unk>, the 256 byte tokens <0x00>…<0xFF> when there
 * is room, and filler tokens "[id]" — valid for llama.cpp, meaningless as text.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JambaConfig } from '../model/config.js';
import { readHfTokenizerFiles, readJsonFile } from '../tokenizer/hf-config.js';
import { vocabFromTokenizerJson, type BuiltVocab } from './convert-vocab-json.js';
import { addedTokens, specialIds, TT, writeSpecials } from './convert-vocab-special.js';
import { readSpmModel, vocabFromSpm, type SpmModel } from './convert-vocab-spm.js';
import { GgufType } from './gguf/constants.js';
import { gv, type GgufMetadata } from './gguf/values.js';

/** llama.cpp llama_token_type. */
const NORMAL = 1, UNKNOWN = 2, CONTROL = 3, BYTE = 6;

export function placeholderVocab(config: JambaConfig, meta: GgufMetadata): void {
  const V = config.vocabSize;
  const tokens = new Array<string | undefined>(V);
  const types = new Int32Array(V);
  const scores = new Float32Array(V);
  const special = (id: number | null | undefined, text: string): number | undefined => {
    if (id === null || id === undefined || id >= V || tokens[id] !== undefined) return undefined;
    tokens[id] = text;
    types[id] = CONTROL;
    return id;
  };
  const pad = special(config.padTokenId, '<pad>');
  const bos = special(config.bosTokenId, '<s>');
  const eos = special(config.eosTokenIds[0], '</s>');
  let next = 0;
  const free = (): number | undefined => {
    while (next < V && tokens[next] !== undefined) next++;
    return next < V ? next : undefined;
  };
  const unk = free();
  if (unk !== undefined) { tokens[unk] = '<unk>'; types[unk] = UNKNOWN; }
  let room = 0;
  for (let i = 0; i < V; i++) if (tokens[i] === undefined) room++;
  if (room >= 256) {
    for (let b = 0; b < 256; b++) {
      const id = free()!;
      tokens[id] = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
      types[id] = BYTE;
    }
  }
  for (let i = 0; i < V; i++) {
    if (tokens[i] === undefined) {
      tokens[i] = `[${i}]`;
      types[i] = NORMAL;
      scores[i] = -i;
    }
  }
  meta.set('tokenizer.ggml.model', gv.str('llama'));
  meta.set('tokenizer.ggml.tokens', gv.arr(GgufType.STRING, tokens as string[]));
  meta.set('tokenizer.ggml.scores', gv.arr(GgufType.F32, scores));
  meta.set('tokenizer.ggml.token_type', gv.arr(GgufType.I32, types));
  if (bos !== undefined) meta.set('tokenizer.ggml.bos_token_id', gv.u32(bos));
  if (eos !== undefined) meta.set('tokenizer.ggml.eos_token_id', gv.u32(eos));
  if (unk !== undefined) meta.set('tokenizer.ggml.unknown_token_id', gv.u32(unk));
  if (pad !== undefined) meta.set('tokenizer.ggml.padding_token_id', gv.u32(pad));
  meta.set('tokenizer.ggml.add_bos_token', gv.bool(false));
  meta.set('tokenizer.ggml.add_eos_token', gv.bool(false));
}

export type FolderVocab =
  | { written: string; notes: string[] }
  | { placeholder: string };

/** Ids where tokenizer.json's model vocabulary names another token than tokenizer.model. */
function disagreements(m: SpmModel, json: Record<string, unknown>): number {
  const vocab = ((json.model as Record<string, unknown> | undefined)?.vocab ?? {}) as Record<string, number>;
  let n = 0;
  for (const [t, id] of Object.entries(vocab)) if (m.pieces[id]?.piece !== t) n++;
  return n;
}

/**
 * Writes the tokenizer of `folder` as `tokenizer.*` metadata for a model of `config` (raw config.json
 * in `rawConfig`), or returns why it cannot (then nothing is written).
 */
export function folderVocab(folder: string, config: JambaConfig, rawConfig: Record<string, unknown>, meta: GgufMetadata): FolderVocab {
  const jsonPath = join(folder, 'tokenizer.json'), spmPath = join(folder, 'tokenizer.model');
  const json = existsSync(jsonPath) ? readJsonFile(jsonPath) : undefined;
  const files = readHfTokenizerFiles(folder);
  const added = addedTokens(json, files, folder);
  let built: BuiltVocab;
  let spm: SpmModel | undefined;
  let source: string;
  const notes: string[] = [];
  if (existsSync(spmPath)) {
    spm = readSpmModel(readFileSync(spmPath), spmPath);
    built = vocabFromSpm(spm, added);
    source = 'tokenizer.model';
    if (spm.modelType !== 2) notes.push(`tokenizer.model is a SentencePiece model of type ${spm.modelType}, not BPE; llama.cpp tokenises it as BPE`);
    const odd = json ? disagreements(spm, json) : 0;
    if (odd) notes.push(`tokenizer.json names other tokens than tokenizer.model for ${odd} ids; tokenizer.model was used, as llama.cpp does`);
  } else if (json) {
    const r = vocabFromTokenizerJson(json, added);
    if (typeof r === 'string') return { placeholder: `${folder}: ${r}` };
    built = r;
    source = 'tokenizer.json';
  } else {
    return { placeholder: `${folder} has no tokenizer files` };
  }
  const V = config.vocabSize;
  if (built.tokens.length > V) {
    return { placeholder: `${folder}/${source} has ${built.tokens.length} tokens, more than the model's vocab_size ${V}` };
  }
  const tokens = new Array<string>(V), types = new Int32Array(V), scores = new Float32Array(V);
  for (let i = 0; i < V; i++) {
    const t = built.tokens[i];
    tokens[i] = t ?? `[PAD${i}]`;
    types[i] = t === undefined ? TT.UNUSED : built.types[i]!;
    scores[i] = t === undefined ? -1000 : (built.scores[i] ?? 0);
  }
  const idOf = new Map<string, number>();
  for (const [id, a] of added) if (id < V && !idOf.has(a.content)) idOf.set(a.content, id);
  tokens.forEach((t, i) => { if (!idOf.has(t)) idOf.set(t, i); });
  const fallback = spm
    ? { bos: spm.bosId, eos: spm.eosId, unk: spm.unkId, pad: spm.padId, addBos: true }
    : { addBos: false };
  const specials = specialIds(json, files, rawConfig, V, (t) => idOf.get(t), built.unkId, fallback);

  meta.set('tokenizer.ggml.model', gv.str(built.model));
  meta.set('tokenizer.ggml.pre', gv.str(built.pre));
  meta.set('tokenizer.ggml.tokens', gv.arr(GgufType.STRING, tokens));
  if (built.model === 'llama') meta.set('tokenizer.ggml.scores', gv.arr(GgufType.F32, scores));
  meta.set('tokenizer.ggml.token_type', gv.arr(GgufType.I32, types));
  if (built.model === 'gpt2') meta.set('tokenizer.ggml.merges', gv.arr(GgufType.STRING, built.merges));
  if (built.model === 'llama') meta.set('tokenizer.ggml.add_space_prefix', gv.bool(built.addSpacePrefix));
  writeSpecials(meta, specials, files.chatTemplates);
  const pad = V - built.tokens.length;
  return {
    written: `${built.model} vocabulary of ${V} tokens from ${source}${pad ? ` (${pad} unused [PAD] tokens up to vocab_size)` : ''}`,
    notes: [...notes, ...built.notes],
  };
}
