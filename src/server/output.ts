/**
 * Turns one request's generated tokens into the text a client sees, token by token: the streaming
 * detokeniser (special tokens left out), then stop rules (EOS ids and stop strings, generate/stop-
 * criteria.ts), then — for chat with tools — holding back everything from a tool-call opener
 * (`<tool_calls>` / `<tool_call>`) on, since that part is returned as structured tool_calls, not text.
 * It also collects per-token logprobs in a neutral form both endpoints format.
 */
import type { TokenEvent } from '../engine/types.js';
import { StopCriteria } from '../generate/stop-criteria.js';
import { StopStrings } from '../generate/stop.js';
import type { StreamDecoder } from '../tokenizer/stream-decoder.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';

export interface TokenLogprobs {
  /** The token's text as it appeared in the output. */
  text: string;
  logprob: number;
  top: { text: string; logprob: number }[];
}

export interface OutputStep {
  /** Content to show now (possibly ''). */
  text: string;
  /** The logprobs of this token, when asked for and the token is part of the output. */
  logprobs?: TokenLogprobs;
  /** Generation must end here (an EOS id or a stop string). */
  done: boolean;
}

export interface OutputOptions {
  eosIds: readonly number[];
  stop: readonly string[];
  /** Strings that open a tool call; from the first one on, text is held for the tool-call parser. */
  toolOpeners?: readonly string[];
  /** The last prompt ids, as left context for detokenising the first generated tokens. */
  context?: readonly number[];
  /**
   * Leave out whitespace before the first visible character (chat: templates such as Jamba's put a space
   * between the role marker and the content, which the model generates but is not part of the message).
   */
  trimStart?: boolean;
}

export class TextOutput {
  private readonly decoder: StreamDecoder;
  private readonly criteria: StopCriteria;
  private readonly openers: StopStrings | null;
  /** All text that passed the stop rules (what the model "said"). */
  all = '';
  /** The part of `all` released as content. */
  shown = '';
  /** 'eos' or 'stop' once a stop rule ended generation. */
  stoppedBy: 'eos' | 'stop' | undefined;
  readonly logprobs: TokenLogprobs[] = [];

  constructor(private readonly tok: Tokenizer, opts: OutputOptions) {
    this.decoder = tok.streamDecoder({ skipSpecial: true, context: opts.context });
    this.criteria = new StopCriteria({ eosIds: opts.eosIds, stop: opts.stop });
    this.openers = opts.toolOpeners?.length ? new StopStrings(opts.toolOpeners) : null;
    this.trimStart = opts.trimStart ?? false;
  }

  private readonly trimStart: boolean;

  /** True once a tool-call opener was seen: the rest is held for parsing. */
  get inToolCall(): boolean {
    return this.openers?.stopped ?? false;
  }

  push(ev: TokenEvent): OutputStep {
    // Ids of a model vocabulary padded past the tokenizer's show as nothing (Tokenizer.streamDecoder).
    const chunk = this.decoder.push(ev.id);
    const d = this.criteria.step(ev.id, chunk);
    if (d.finish === 'eos' || d.finish === 'stop') this.stoppedBy = d.finish;
    const step: OutputStep = { text: this.release(d.text), done: d.finish !== undefined };
    if (ev.logprob !== undefined && d.finish !== 'eos') {
      step.logprobs = {
        text: chunk,
        logprob: ev.logprob,
        top: (ev.top ?? []).map((t) => ({ text: this.tok.tokenText(t.id), logprob: t.logprob })),
      };
      this.logprobs.push(step.logprobs);
    }
    return step;
  }

  /** At the end: releases what the detokeniser and the stop rules still hold. */
  close(): string {
    const d = this.criteria.close(this.decoder.flush());
    if (d.finish === 'stop') this.stoppedBy ??= 'stop';
    let out = this.release(d.text);
    if (this.openers && !this.openers.stopped) out += this.emit(this.openers.flush());
    return out;
  }

  private release(text: string): string {
    if (text === '') return '';
    this.all += text;
    if (!this.openers) return this.emit(text);
    if (this.openers.stopped) return '';
    return this.emit(this.openers.push(text).text);
  }

  private emit(text: string): string {
    if (this.trimStart && this.shown === '') text = text.trimStart();
    this.shown += text;
    return text;
  }
}
