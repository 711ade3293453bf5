/**
 * Writes a trained BpeVocab as a standard Hugging Face tokenizer: tokenizer.json (BPE model with
 * byte_fallback, the LlamaTokenizer-style normaliser Prepend("▁") + Replace(" ", "▁"), no
 * pre-tokenizer, decoder Replace("▁", " ") → ByteFallback → Fuse → Strip(1 left), BOS added by the
 * post-processor) and tokenizer_config.json (bos/eos/pad/unk, add_bos_token, chat_template).
 * Special tokens are Jamba's: <|pad|> 0, <|startoftext|> 1, <|endoftext|> 2, <|unk|> 3.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BpeVocab } from './bpe-train.js';

export const SPECIALS = ['<|pad|>', '<|startoftext|>', '<|endoftext|>', '<|unk|>'];
export const PAD = 0, BOS = 1, EOS = 2, UNK = 3;

/**
 * Chat template for a story model: each user turn is the opening of a story (after BOS) and the
 * assistant continues it; an assistant turn in the history ends with EOS. System turns are left out
 * (the model was never shown instructions). The generation prompt adds nothing: the model continues
 * the user's text.
 */
export const STORY_CHAT_TEMPLATE =
  "{% for message in messages %}{% if message['role'] == 'user' %}{{ bos_token + message['content'] | trim }}" +
  "{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] | trim + eos_token }}{% endif %}{% endfor %}";

export function tokenizerJson(v: BpeVocab): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  v.tokens.forEach((t, i) => { if (!(t in vocab)) vocab[t] = i; });
  const added = v.specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const bos = v.specials[BOS]!;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '\u2581' }, { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' }] },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: bos, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { [bos]: { id: bos, ids: [BOS], tokens: [bos] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [{ type: 'Replace', pattern: { String: '\u2581' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }],
    },
    model: {
      type: 'BPE', dropout: null, unk_token: v.specials[UNK], continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges: v.merges.map(([a, b]) => [a, b]),
    },
  };
}

export function tokenizerConfigJson(v: BpeVocab): Record<string, unknown> {
  const decoder: Record<string, unknown> = {};
  v.specials.forEach((content, id) => { decoder[String(id)] = { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true }; });
  return {
    add_bos_token: true,
    add_eos_token: false,
    added_tokens_decoder: decoder,
    bos_token: v.specials[BOS],
    eos_token: v.specials[EOS],
    pad_token: v.specials[PAD],
    unk_token: v.specials[UNK],
    clean_up_tokenization_spaces: false,
    legacy: false,
    model_max_length: 4096,
    tokenizer_class: 'PreTrainedTokenizerFast',
    chat_template: STORY_CHAT_TEMPLATE,
  };
}

export function writeTokenizerFiles(dir: string, v: BpeVocab): void {
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson(v)) + '\n');
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfigJson(v), null, 2) + '\n');
}

/** Reads back the vocabulary of a tokenizer.json written by tokenizerJson (to reuse a trained tokenizer). */
export function bpeVocabFromJson(j: Record<string, unknown>): BpeVocab {
  const model = j.model as { vocab: Record<string, number>; merges: ([string, string] | string)[] };
  const tokens: string[] = [];
  for (const [t, id] of Object.entries(model.vocab)) tokens[id] = t;
  const merges = model.merges.map((m) => (typeof m === 'string' ? (m.split(' ') as [string, string]) : m));
  const added = (j.added_tokens as { id: number; content: string }[]).sort((a, b) => a.id - b.id).map((a) => a.content);
  const byteBase = tokens.indexOf('<0x00>');
  return { tokens, merges, specials: added, byteBase };
}
