/**
 * The `Tokenizer` every part of jamba-ts talks to, whatever file it came from (tokenizer.json through
 * @huggingface/tokenizers, or a GGUF vocabulary implemented here). Token ids are plain numbers.
 *
 * BOS/EOS rules come from the files (tokenizer_config.json `add_bos_token`/`add_eos_token`, GGUF
 * `tokenizer.ggml.add_bos_token`/`add_eos_token`); `encode(text, { addSpecial: false })` adds neither.
 * Special-token text inside the input (e.g. "<|eom|>") becomes that token unless `parseSpecial: false`.
 */
import { StreamDecoder, type StreamDecoderOptions } from './stream-decoder.js';

export interface EncodeOptions {
  /** Add BOS/EOS as the tokenizer's files say (default true). */
  addSpecial?: boolean;
  /** Match special/added-token text in the input as those tokens (default true). */
  parseSpecial?: boolean;
}

export interface DecodeOptions {
  /** Leave out special (control) tokens such as BOS/EOS (default false). */
  skipSpecial?: boolean;
}

/** Where a tokenizer came from and which algorithm it runs. */
export type TokenizerKind = 'tokenizer.json' | 'gguf-llama' | 'gguf-gpt2';

/** The facts about a tokenizer that its files state. */
export interface TokenizerInfo {
  readonly kind: TokenizerKind;
  /** The file or folder it was loaded from (for messages). */
  readonly origin: string;
  /** Number of ids the tokenizer can produce (largest id + 1). */
  readonly vocabSize: number;
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  readonly unkId: number | undefined;
  readonly padId: number | undefined;
  /** Ids that end generation as far as the tokenizer files say (EOS, and GGUF EOT/EOM); the model config may add more. */
  readonly eosIds: readonly number[];
  readonly addBos: boolean;
  readonly addEos: boolean;
  /** Token strings chat templates read as variables: bos_token, eos_token, unk_token, pad_token when known. */
  readonly specialTokens: Readonly<Record<string, string>>;
  /** Chat templates shipped with the tokenizer, by name ('default' for a single unnamed one). */
  readonly chatTemplates: Readonly<Record<string, string>>;
}

export interface Tokenizer extends TokenizerInfo {
  encode(text: string, options?: EncodeOptions): number[];
  decode(ids: readonly number[], options?: DecodeOptions): string;
  /** The vocabulary string of a token (e.g. "▁Hello", "<0x0A>", "<s>"), or undefined if out of range. */
  idToToken(id: number): string | undefined;
  tokenToId(token: string): number | undefined;
  /** True for special/control tokens (the ones `skipSpecial` leaves out). */
  isSpecial(id: number): boolean;
  /**
   * Incremental detokeniser for generated ids; `context` are ids already shown (e.g. the prompt), used
   * only as left context. Ids past the vocabulary (a model vocabulary padded past the tokenizer's) show
   * as nothing, as do ids `visible` rejects.
   */
  streamDecoder(options?: StreamDecoderOptions): StreamDecoder;
  /** One generated token's text as decode([id]) gives it, or '' for an id past the vocabulary. */
  tokenText(id: number): string;
}

/** Shared plumbing: the stated facts, range checks, and the streaming decoder built on `decode`. */
export interface BaseTokenizer extends TokenizerInfo {}
export abstract class BaseTokenizer implements Tokenizer {
  constructor(info: TokenizerInfo) {
    Object.assign(this, info);
  }

  abstract encode(text: string, options?: EncodeOptions): number[];
  abstract idToToken(id: number): string | undefined;
  abstract tokenToId(token: string): number | undefined;
  abstract isSpecial(id: number): boolean;
  /** Decode ids already checked to be in range. */
  protected abstract decodeChecked(ids: readonly number[], skipSpecial: boolean): string;

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new RangeError(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1}) of ${this.origin}`);
      }
    }
    if (ids.length === 0) return '';
    return this.decodeChecked(ids, options.skipSpecial ?? false);
  }

  streamDecoder(options: StreamDecoderOptions = {}): StreamDecoder {
    const visible = options.visible;
    const keep = (id: number): boolean => id < this.vocabSize && (visible === undefined || visible(id));
    return new StreamDecoder((ids, skip) => this.decode(ids.filter(keep), { skipSpecial: skip }),
      { ...options, context: options.context?.filter(keep) });
  }

  tokenText(id: number): string {
    return id < this.vocabSize ? this.decode([id]) : '';
  }

  /** Adds BOS/EOS around `ids` when asked and the files say so. */
  protected withSpecial(ids: number[], addSpecial: boolean): number[] {
    if (!addSpecial) return ids;
    const out = ids;
    if (this.addBos && this.bosId !== undefined) out.unshift(this.bosId);
    if (this.addEos && this.eosId !== undefined) out.push(this.eosId);
    return out;
  }
}
