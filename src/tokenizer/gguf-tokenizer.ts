/**
 * A tokenizer built from GGUF metadata (`tokenizer.ggml.*`), following llama.cpp's llama-vocab.cpp:
 *  - special-token text is cut out of the input first (`tokenizer_st_partition`): control, unknown and
 *    user-defined tokens, longest first; with `parseSpecial: false` only user-defined ones;
 *  - each remaining text fragment goes to SentencePiece BPE (spm.ts: spaces → "▁", a space prefix at
 *    the start and after each special token when add_space_prefix) or byte-level BPE (bpe.ts);
 *  - BOS/EOS from tokenizer.ggml.add_bos_token / add_eos_token.
 * Decoding maps each token to bytes (normal pieces with "▁" → " ", `<0xXX>` byte tokens, byte-level
 * characters back to bytes; control/unknown text unless skipped) and decodes UTF-8 once at the end.
 * Departure from llama.cpp's detokenize, to match Hugging Face decoding: with add_space_prefix one
 * leading space of the whole result is removed after special tokens are skipped (so
 * decode([bos, "▁Hello"], skip) is "Hello"), and no clean-up of spaces before punctuation is done.
 */
import { bpeTokenize, type BpeVocabView } from './bpe.js';
import { CHAR_TO_BYTE, preTokenizerFor } from './bpe-pretokenize.js';
import { readGgufVocab, TokenType, type GgufMetadata, type GgufVocab } from './gguf-vocab.js';
import { spmTokenize, type SpmVocabView } from './spm.js';
import { BaseTokenizer, type EncodeOptions } from './tokenizer.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { ignoreBOM: true }); // a token may be U+FEFF itself: keep it

type Fragment = string | number;

export class GgufTokenizer extends BaseTokenizer {
  private readonly v: GgufVocab;
  private readonly textToId: Map<string, number>;
  /** Control/unknown/user-defined token ids, longest text first. */
  private readonly partitionIds: number[];
  private readonly spm: SpmVocabView | undefined;
  private readonly bpe: BpeVocabView | undefined;
  /** Per-token bytes for decoding, built on first use. */
  private readonly pieceCache: (Uint8Array | undefined)[] = [];

  constructor(origin: string, meta: GgufMetadata) {
    const v = readGgufVocab(meta, origin);
    const textToId = new Map<string, number>();
    v.tokens.forEach((t, i) => textToId.set(t, i));
    let spm: SpmVocabView | undefined;
    let bpe: BpeVocabView | undefined;
    let addBos: boolean;
    if (v.model === 'llama') {
      addBos = v.addBos ?? true;
      const hex = (b: number): string => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
      spm = {
        textToId,
        scores: v.scores,
        byteToken: (b) => textToId.get(hex(b)) ?? textToId.get(String.fromCharCode(b)),
        unkId: v.unkId,
      };
    } else {
      const pre = preTokenizerFor(v.pre, origin);
      addBos = v.addBos ?? pre.addBos;
      const ranks = new Map<string, number>();
      v.merges.forEach((m, i) => {
        // llama.cpp splits at the first space after position 0 (a merge may start with a space-like char).
        const pos = m.indexOf(' ', 1);
        if (pos > 0 && !ranks.has(m)) ranks.set(m, i);
      });
      bpe = { textToId, ranks, regexes: pre.regexes, ignoreMerges: pre.ignoreMerges, unkId: v.unkId };
    }
    const specialTokens: Record<string, string> = {};
    const names: [string, number | undefined][] = [['bos_token', v.bosId], ['eos_token', v.eosId], ['unk_token', v.unkId], ['pad_token', v.padId]];
    for (const [key, id] of names) if (id !== undefined) specialTokens[key] = v.tokens[id]!;

    super({
      kind: v.model === 'llama' ? 'gguf-llama' : 'gguf-gpt2',
      origin,
      vocabSize: v.tokens.length,
      bosId: v.bosId,
      eosId: v.eosId,
      unkId: v.unkId,
      padId: v.padId,
      eosIds: [...new Set([v.eosId, v.eotId, v.eomId].filter((x): x is number => x !== undefined))],
      addBos,
      addEos: v.addEos,
      specialTokens,
      chatTemplates: v.chatTemplates,
    });
    this.v = v;
    this.textToId = textToId;
    this.spm = spm;
    this.bpe = bpe;
    const partitioned = (t: number): boolean => t === TokenType.Control || t === TokenType.Unknown || t === TokenType.UserDefined;
    this.partitionIds = [];
    for (let i = 0; i < v.tokens.length; i++) if (partitioned(v.types[i]!)) this.partitionIds.push(i);
    this.partitionIds.sort((a, b) => v.tokens[b]!.length - v.tokens[a]!.length || a - b);
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const parseSpecial = options.parseSpecial ?? true;
    const out: number[] = [];
    const spm = this.spm;
    let prevSpecial = true; // the first fragment gets the space prefix, as after a special token
    for (const frag of this.partition(text.replace(/\p{Surrogate}/gu, '\uFFFD'), parseSpecial)) {
      if (typeof frag === 'number') {
        out.push(frag);
        prevSpecial = true;
      } else if (spm) {
        const prefixed = this.v.addSpacePrefix && prevSpecial ? ' ' + frag : frag;
        spmTokenize(prefixed.replaceAll(' ', '\u2581'), spm, out);
        prevSpecial = false;
      } else {
        bpeTokenize(frag, this.bpe!, out);
      }
    }
    return this.withSpecial(out, options.addSpecial ?? true);
  }

  /** Cuts special-token text out of `text` (llama.cpp's tokenizer_st_partition). */
  private partition(text: string, parseSpecial: boolean): Fragment[] {
    if (text === '') return [];
    let frags: Fragment[] = [text];
    for (const id of this.partitionIds) {
      const type = this.v.types[id]!;
      if (!parseSpecial && (type === TokenType.Control || type === TokenType.Unknown)) continue;
      const tok = this.v.tokens[id]!;
      const next: Fragment[] = [];
      for (const f of frags) {
        if (typeof f === 'number' || !f.includes(tok)) {
          next.push(f);
          continue;
        }
        const parts = f.split(tok);
        parts.forEach((p, i) => {
          if (i > 0) next.push(id);
          if (p !== '') next.push(p);
        });
      }
      frags = next;
    }
    return frags;
  }

  protected decodeChecked(ids: readonly number[], skipSpecial: boolean): string {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (const id of ids) {
      if (skipSpecial && this.isSpecial(id)) continue;
      const p = this.piece(id);
      chunks.push(p);
      total += p.length;
    }
    const bytes = new Uint8Array(total);
    let o = 0;
    for (const c of chunks) {
      bytes.set(c, o);
      o += c.length;
    }
    const text = decoder.decode(bytes);
    return this.v.addSpacePrefix && text.startsWith(' ') ? text.slice(1) : text;
  }

  /** The bytes one token contributes to decoded text (llama.cpp's token_to_piece with special=true). */
  private piece(id: number): Uint8Array {
    const cached = this.pieceCache[id];
    if (cached) return cached;
    const text = this.v.tokens[id]!;
    const type = this.v.types[id]!;
    let bytes: Uint8Array;
    if (type === TokenType.Control || type === TokenType.Unknown || type === TokenType.UserDefined) {
      bytes = encoder.encode(text);
    } else if (type === TokenType.Byte && this.spm) {
      bytes = Uint8Array.of(parseInt(text.slice(3, 5), 16));
    } else if (type === TokenType.Normal) {
      if (this.spm) {
        bytes = encoder.encode(text.replaceAll('\u2581', ' '));
      } else {
        const arr: number[] = [];
        for (const ch of text) {
          const b = CHAR_TO_BYTE.get(ch);
          if (b !== undefined) arr.push(b);
          else arr.push(...encoder.encode(ch)); // not a byte-level character: keep its UTF-8
        }
        bytes = Uint8Array.from(arr);
      }
    } else {
      bytes = new Uint8Array(0); // unused/undefined tokens print nothing, as in llama.cpp
    }
    this.pieceCache[id] = bytes;
    return bytes;
  }

  idToToken(id: number): string | undefined {
    return this.v.tokens[id];
  }

  tokenToId(token: string): number | undefined {
    return this.textToId.get(token);
  }

  isSpecial(id: number): boolean {
    const t = this.v.types[id];
    return t === TokenType.Control || t === TokenType.Unknown;
  }
}
