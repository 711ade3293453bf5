/**
 * Streaming detokenisation: turns token ids, one at a time, into text chunks that never end in half a
 * UTF-8 character. Works for any tokenizer through its `decode`, so decoder quirks (SentencePiece's
 * leading-space strip, byte-fallback tokens, byte-level BPE) are handled exactly as a full decode does.
 *
 * Method (as in text-generation-inference's `decode_token` and transformers' TextStreamer): keep a
 * small window of ids starting at `prefix`; the text of ids[prefix:read] was already emitted. Decode
 * the window with and without the new ids and emit the difference, unless the new text ends in U+FFFD,
 * which means an incomplete UTF-8 sequence whose remaining bytes are still to come: then hold.
 * A window always keeps at least one earlier token as left context, so a word-initial "▁the" comes out
 * as " the" rather than losing its space to the first-token strip.
 */

export interface StreamDecoderOptions {
  /** Ids already shown to the user (e.g. the prompt); only the last few are used as left context. */
  context?: readonly number[];
  /** Leave out special tokens (default false). */
  skipSpecial?: boolean;
  /** Ids for which this returns false show no text (and are left out of the context). */
  visible?: (id: number) => boolean;
}

/** How many context ids to keep as left context for the first decode. */
const CONTEXT_TOKENS = 4;

export class StreamDecoder {
  private ids: number[];
  private prefix: number;
  private read: number;
  private readonly skipSpecial: boolean;

  constructor(private readonly decodeFn: (ids: number[], skipSpecial: boolean) => string, options: StreamDecoderOptions = {}) {
    this.ids = (options.context ?? []).slice(-CONTEXT_TOKENS);
    this.prefix = 0;
    this.read = this.ids.length;
    this.skipSpecial = options.skipSpecial ?? false;
  }

  /** Adds one or more ids; returns the text that is now complete (possibly ''). */
  push(id: number | readonly number[]): string {
    if (typeof id === 'number') this.ids.push(id);
    else this.ids.push(...id);
    return this.emit(false);
  }

  /** Returns whatever is held back (an incomplete UTF-8 tail shows as U+FFFD); call at the end. */
  flush(): string {
    return this.emit(true);
  }

  private emit(force: boolean): string {
    if (this.read >= this.ids.length) return '';
    const before = this.decodeFn(this.ids.slice(this.prefix, this.read), this.skipSpecial);
    const after = this.decodeFn(this.ids.slice(this.prefix), this.skipSpecial);
    if (!force && (after.length <= before.length || after.endsWith('\uFFFD'))) return '';
    const text = after.startsWith(before) ? after.slice(before.length) : after.slice(commonPrefix(before, after));
    // Slide the window: the ids just emitted become the left context of the next call.
    this.ids = this.ids.slice(this.read);
    this.prefix = 0;
    this.read = this.ids.length;
    return text;
  }
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}
