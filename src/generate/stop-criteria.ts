/**
 * When generation ends, and what text is shown up to then: after an end-of-sequence id (any of a list:
 * Jamba 1.5 has [2, 518], Jamba2 519), after `maxTokens` new tokens, or at a stop string (stop.ts). Fed
 * one token at a time with the text chunk the streaming detokeniser gave for it.
 */
import { StopStrings } from './stop.js';

export type FinishReason = 'eos' | 'stop' | 'length';

export interface StopCriteriaOptions {
  /** Most new tokens to generate (undefined: no limit). */
  maxTokens?: number;
  /** Ids that end generation; their text is not shown. */
  eosIds?: readonly number[];
  /** Strings that end generation; neither they nor anything after them is shown. */
  stop?: readonly string[];
  /** Do not stop at EOS ids (their text is then shown like any other). */
  ignoreEos?: boolean;
}

export interface StopDecision {
  /** Text to show now. */
  text: string;
  /** Set once generation must end. */
  finish?: FinishReason;
  /** The stop string that ended it. */
  stop?: string;
}

export class StopCriteria {
  private readonly eos: ReadonlySet<number>;
  private readonly strings: StopStrings;
  private count = 0;
  private finished: FinishReason | undefined;

  constructor(private readonly options: StopCriteriaOptions = {}) {
    if (options.maxTokens !== undefined && !(Number.isInteger(options.maxTokens) && options.maxTokens >= 0)) {
      throw new RangeError(`maxTokens must be an integer ≥ 0, got ${options.maxTokens}`);
    }
    this.eos = new Set(options.ignoreEos ? [] : (options.eosIds ?? []));
    this.strings = new StopStrings(options.stop ?? []);
  }

  /** New tokens seen so far. */
  get tokens(): number {
    return this.count;
  }

  get finishReason(): FinishReason | undefined {
    return this.finished;
  }

  /** True when not even one token may be generated (maxTokens 0). */
  get exhausted(): boolean {
    return this.finished !== undefined || (this.options.maxTokens !== undefined && this.count >= this.options.maxTokens);
  }

  /** Feeds the next generated id and its text chunk (from the streaming detokeniser). */
  step(id: number, chunk: string): StopDecision {
    if (this.finished) return { text: '', finish: this.finished };
    this.count++;
    if (this.eos.has(id)) return { text: '', finish: (this.finished = 'eos') };
    const s = this.strings.push(chunk);
    if (s.stop !== undefined) return { text: s.text, finish: (this.finished = 'stop'), stop: s.stop };
    if (this.options.maxTokens !== undefined && this.count >= this.options.maxTokens) {
      return { text: s.text, finish: (this.finished = 'length') };
    }
    return { text: s.text };
  }

  /**
   * Call once when generation ends (for whatever reason), with the detokeniser's flushed tail: runs
   * the tail through the stop strings and releases the text held back as a possible stop string.
   */
  close(tail = ''): StopDecision {
    if (this.finished === 'stop') return { text: '', finish: 'stop' };
    const s = this.strings.push(tail);
    if (s.stop !== undefined) return { text: s.text, finish: (this.finished = 'stop'), stop: s.stop };
    const out: StopDecision = { text: s.text + this.strings.flush() };
    if (this.finished) out.finish = this.finished;
    return out;
  }
}
