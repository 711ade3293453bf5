/**
 * The prefill/decode loop of one sequence, as a GenerationSource (generation.ts): feed the prompt's
 * tokens that the sequence's memory does not hold yet (in chunks), then repeatedly choose a token from
 * the last logits (generate/sampling.ts), turn it into text (the tokenizer's streaming detokeniser,
 * never half a UTF-8 character), apply the stop rules (generate/stop-criteria.ts: EOS ids, stop strings
 * across token boundaries, max tokens) and feed the token back. Every rule lives in generate/ and
 * tokenizer/; this file only joins them and keeps the counts and timings.
 *
 * The engine (src/engine) does the same for many sequences at once but owns their memories; a chat
 * session needs to own its memory across turns (and save it), and one caller needs no batching, so the
 * library runs this loop on a memory it holds.
 *
 * Memory bookkeeping: when the loop ends the memory holds the prompt and every generated token except
 * the last (sampled, never fed) — or, if it was cancelled during prefill, a prefix of the prompt.
 */
import { StopCriteria } from '../generate/stop-criteria.js';
import type { Sampler } from '../generate/sampling.js';
import type { SequenceMemory } from '../memory/sequence.js';
import type { JambaModel } from '../model/jamba.js';
import type { StreamDecoder } from '../tokenizer/stream-decoder.js';
import type { GenerationSource } from './generation.js';

export type FinishReason = 'eos' | 'stop' | 'length' | 'cancelled';

export interface TokenLogprobInfo {
  id: number;
  text: string;
  logprob: number;
  top: { id: number; text: string; logprob: number }[];
}

export interface Timings {
  /** From the start of the run to the first chosen token (prefill included); null if none was chosen. */
  timeToFirstTokenMs: number | null;
  /** Time in prefill forward passes. */
  prefillMs: number;
  /** Time choosing tokens and in decode forward passes (not the reader's time between chunks). */
  decodeMs: number;
  totalMs: number;
  /** Prefilled tokens per second; null without prefill. */
  prefillTokensPerSecond: number | null;
  /** Decode forward passes per second (tokens after the first); null with fewer than two tokens. */
  decodeTokensPerSecond: number | null;
}

export interface GenerateResult {
  /** The text shown (stop string and what follows it excluded). */
  text: string;
  /** Generated token ids (an EOS id that ended generation included). */
  tokens: number[];
  finishReason: FinishReason;
  /** The stop string that ended generation. */
  stopString?: string;
  promptTokens: number;
  /** Prompt tokens already in the sequence's state (a chat session's earlier turns). */
  cachedTokens: number;
  /** Prompt tokens run through the model by this call. */
  prefilledTokens: number;
  generatedTokens: number;
  timings: Timings;
  /** With `logprobs`: one entry per generated token. */
  logprobs?: TokenLogprobInfo[];
}

export interface LoopSpec {
  model: JambaModel;
  /** Holds prompt[0 .. reused) already. */
  memory: SequenceMemory;
  prompt: readonly number[];
  reused: number;
  sampler: Sampler;
  /** Already limited to the room left in the context. */
  maxTokens: number;
  eosIds: readonly number[];
  ignoreEos: boolean;
  stop: readonly string[];
  decoder: StreamDecoder;
  signal: AbortSignal | undefined;
  logprobs: boolean;
  /** A token's text, for logprobs. */
  tokenText: (id: number) => string;
  prefillChunk: number;
  /** Called once the whole prompt is in memory, before the first token is chosen. */
  onPrompt?: () => void;
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
/** Tokens of answer the KV caches get room for before the first step. */
const RESERVE_AHEAD = 1024;

export class DecodeLoop implements GenerationSource<GenerateResult> {
  private readonly tokens: number[] = [];
  private readonly lp: TokenLogprobInfo[] = [];
  private text = '';
  private prefilled = 0;
  private start = 0;
  private firstAt: number | null = null;
  private prefillMs = 0;
  private decodeMs = 0;

  constructor(private readonly s: LoopSpec) {}

  async *chunks(): AsyncGenerator<string, GenerateResult, void> {
    const s = this.s;
    this.start = performance.now();
    const crit = new StopCriteria({ maxTokens: s.maxTokens, eosIds: s.eosIds, ignoreEos: s.ignoreEos, stop: s.stop });
    const eos = new Set(s.ignoreEos ? [] : s.eosIds);
    const aborted = (): boolean => s.signal?.aborted ?? false;
    if (crit.exhausted) return this.result('length');
    const V = s.model.dims.V;
    const logits = new Float32Array(V);
    const last = { logits: 'last' as const, out: logits };
    const step = [0], batch = [{ memory: s.memory, tokens: step }]; // one decode step's input, reused
    // KV room for the prompt and the first stretch of the answer up front: decode steps within it
    // allocate nothing (growth beyond is by doubling)
    s.memory.reserve(s.prompt.length + Math.min(s.maxTokens, RESERVE_AHEAD));

    for (let pos = s.reused; pos < s.prompt.length;) {
      if (aborted()) return this.result('cancelled');
      const end = Math.min(s.prompt.length, pos + s.prefillChunk);
      const t = performance.now();
      s.model.forward([{ memory: s.memory, tokens: s.prompt.slice(pos, end) }], last);
      this.prefillMs += performance.now() - t;
      this.prefilled += end - pos;
      pos = end;
      await tick(); // lets an abort (or anything else) in between chunks
    }
    s.onPrompt?.();

    for (;;) {
      if (aborted()) return yield* this.close(crit, 'cancelled');
      const t = performance.now();
      const c = s.sampler.sample(logits, this.tokens);
      this.tokens.push(c.id);
      this.firstAt ??= performance.now();
      if (s.logprobs) {
        this.lp.push({
          id: c.id, text: s.tokenText(c.id), logprob: c.logprob,
          top: c.topLogprobs.map((a) => ({ id: a.id, text: s.tokenText(a.id), logprob: a.logprob })),
        });
      }
      const d = crit.step(c.id, eos.has(c.id) ? '' : s.decoder.push(c.id));
      this.decodeMs += performance.now() - t;
      if (d.text) {
        this.text += d.text;
        yield d.text;
      }
      if (d.finish) return yield* this.close(crit, d.finish, d.stop);
      if (aborted()) return yield* this.close(crit, 'cancelled');
      const t2 = performance.now();
      step[0] = c.id;
      s.model.forward(batch, last);
      this.decodeMs += performance.now() - t2;
      await tick();
    }
  }

  stopped(): GenerateResult {
    return this.result('cancelled');
  }

  /** Releases the text the detokeniser and the stop strings still hold, then the result. */
  private async *close(crit: StopCriteria, reason: FinishReason, stop?: string): AsyncGenerator<string, GenerateResult, void> {
    const d = crit.close(reason === 'stop' ? '' : this.s.decoder.flush());
    if (d.text) {
      this.text += d.text;
      yield d.text;
    }
    // A stop string can complete only in the detokeniser's tail.
    if (d.finish === 'stop' && reason !== 'stop') return this.result('stop', d.stop);
    return this.result(reason, stop);
  }

  private result(finishReason: FinishReason, stopString?: string): GenerateResult {
    const now = performance.now();
    const n = this.tokens.length;
    const r: GenerateResult = {
      text: this.text,
      tokens: this.tokens.slice(),
      finishReason,
      promptTokens: this.s.prompt.length,
      cachedTokens: this.s.reused,
      prefilledTokens: this.prefilled,
      generatedTokens: n,
      timings: {
        timeToFirstTokenMs: this.firstAt === null ? null : this.firstAt - this.start,
        prefillMs: this.prefillMs,
        decodeMs: this.decodeMs,
        totalMs: now - this.start,
        prefillTokensPerSecond: this.prefilled > 0 && this.prefillMs > 0 ? (1000 * this.prefilled) / this.prefillMs : null,
        decodeTokensPerSecond: n > 1 && this.decodeMs > 0 ? (1000 * (n - 1)) / this.decodeMs : null,
      },
    };
    if (stopString !== undefined) r.stopString = stopString;
    if (this.s.logprobs) r.logprobs = this.lp.slice();
    return r;
  }
}
