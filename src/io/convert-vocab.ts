/**
 * Tokenizer metadata for a converted GGUF. llama.cpp refuses a model without a vocabulary even when it
 * is only fed token ids, and its vocabulary must have exactly vocab_size tokens (token_embd's rows).
 * For a folder without tokenizer files we write a placeholder SentencePiece-style ("llama") vocabulary:
 * the config's pad/bos/eos ids as control tokens, an <unk>, the 256 byte tokens <0x00>…<0xFF> when there
 * is room, and filler tokens "[id]" — valid for llama.cpp, meaningless as text.
 */
import type { JambaConfig } from '../model/config.js';
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
