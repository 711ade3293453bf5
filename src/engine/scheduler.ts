/**
 * Continuous batching over one JambaModel. Requests wait in a bounded FIFO queue and join the running
 * batch between steps; each step is ONE `model.forward` over every running sequence: a one-token decode
 * row for each sequence that is generating, plus prefill chunks of sequences still reading their prompt,
 * as many as fit the step's token budget (so a long prompt is read over several steps while the other
 * streams keep getting a token per step). A sequence leaves the batch as soon as it finishes, is
 * cancelled (AbortSignal) or times out; the next step runs without it.
 *
 * Batching never changes a request's numbers: forward's rows are independent of their batch-mates bit
 * for bit (backend contract), chunk boundaries depend on the request alone (run.ts) and each request
 * samples from its own generator, so a request's tokens are the same alone or among others.
 *
 * With a PromptCache, admission restores the longest cached prefix of the prompt, prefill checkpoints
 * the state at the request's checkpoint positions, every `checkpointEvery` tokens and when it finishes.
 */
import type { JambaModel } from '../model/jamba.js';
import type { PromptCache } from './prompt-cache.js';
import { Run } from './run.js';
import { greedySampler } from './sampler.js';
import {
  EngineClosedError, EngineRequestError, QueueFullError,
  type EngineRequest, type EngineResult, type FinishReason,
} from './types.js';

export interface EngineOptions {
  /** Sequences in the running batch at once (default 16). */
  maxActive?: number;
  /** Requests waiting for a place (default 64); beyond that `submit` throws QueueFullError. */
  maxQueue?: number;
  /** Tokens per step: decode rows plus prefill chunks (default 256; at least maxActive + prefillChunk). */
  stepTokens?: number;
  /** Prefill chunk size (default 64). */
  prefillChunk?: number;
  /** Longest sequence (prompt + generated) accepted (default: the config's max_position_embeddings). */
  ctxSize?: number;
  cache?: PromptCache | null;
  /**
   * Checkpoint every this many tokens of a sequence (default 1024; 0 = only at the given positions).
   * Each checkpoint holds a full copy of the KV rows, so the interval sets how fast long prompts fill the cache.
   */
  checkpointEvery?: number;
}

export interface EngineStats {
  running: number;
  queued: number;
  /** Finished requests by finish reason, plus 'error' (the forward failed). */
  finished: Record<FinishReason | 'error', number>;
  rejected: number;
  promptTokens: number;
  cachedTokens: number;
  prefilledTokens: number;
  generatedTokens: number;
  steps: number;
  busyMs: number;
}

type Row = { run: Run; tokens: readonly number[]; decode: boolean };

export class Engine {
  readonly maxActive: number;
  readonly maxQueue: number;
  readonly stepTokens: number;
  readonly prefillChunk: number;
  readonly ctxSize: number;
  readonly checkpointEvery: number;
  readonly cache: PromptCache | null;
  private readonly queue: Run[] = [];
  private readonly running = new Set<Run>();
  private looping = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private logitsBuf: Float32Array;
  private readonly counters: Omit<EngineStats, 'running' | 'queued'> = {
    finished: { eos: 0, stop: 0, length: 0, cancelled: 0, timeout: 0, error: 0 },
    rejected: 0, promptTokens: 0, cachedTokens: 0, prefilledTokens: 0, generatedTokens: 0, steps: 0, busyMs: 0,
  };

  constructor(readonly model: JambaModel, opts: EngineOptions = {}) {
    this.maxActive = opts.maxActive ?? 16;
    this.maxQueue = opts.maxQueue ?? 64;
    this.prefillChunk = opts.prefillChunk ?? 64;
    this.stepTokens = opts.stepTokens ?? Math.max(256, this.maxActive + this.prefillChunk);
    this.ctxSize = opts.ctxSize ?? model.config.maxPositionEmbeddings;
    this.checkpointEvery = opts.checkpointEvery ?? 1024;
    this.cache = opts.cache ?? null;
    for (const [k, v] of Object.entries({ maxActive: this.maxActive, prefillChunk: this.prefillChunk, ctxSize: this.ctxSize })) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`engine option ${k} must be a positive integer, got ${v}`);
    }
    if (!Number.isInteger(this.maxQueue) || this.maxQueue < 0) throw new RangeError(`engine option maxQueue must be >= 0, got ${this.maxQueue}`);
    if (this.stepTokens < this.maxActive + this.prefillChunk) {
      throw new RangeError(`engine option stepTokens (${this.stepTokens}) must be at least maxActive + prefillChunk (${this.maxActive + this.prefillChunk})`);
    }
    this.logitsBuf = new Float32Array(this.maxActive * model.dims.V);
  }

  /**
   * Queues a request. Throws at once (nothing queued) when the request is invalid, the queue is full or
   * the engine is closed; otherwise the promise settles when the request ends for any reason.
   */
  submit(req: EngineRequest): Promise<EngineResult> {
    if (this.closed) throw new EngineClosedError();
    this.validate(req);
    // Queued requests that the next step will admit do not count against the queue's bound.
    if (this.queue.length >= this.maxQueue + Math.max(0, this.maxActive - this.running.size)) {
      this.counters.rejected++;
      throw new QueueFullError(this.queue.length);
    }
    if (req.signal?.aborted) {
      const now = performance.now();
      this.counters.finished.cancelled++;
      return Promise.resolve({ tokens: [], finish: 'cancelled', promptTokens: req.prompt.length, cachedTokens: 0, timing: { queuedMs: 0, firstTokenMs: null, totalMs: 0 } } satisfies EngineResult);
    }
    return new Promise<EngineResult>((resolve, reject) => {
      const run = new Run(req, req.sampler ?? greedySampler(), performance.now(), resolve, reject);
      if (req.signal) {
        run.onAbort = () => this.finish(run, 'cancelled');
        req.signal.addEventListener('abort', run.onAbort, { once: true });
      }
      if (req.timeoutMs !== undefined) run.timer = setTimeout(() => this.finish(run, 'timeout'), req.timeoutMs);
      this.queue.push(run);
      this.kick();
    });
  }

  stats(): EngineStats {
    return { running: this.running.size, queued: this.queue.length, ...structuredClone(this.counters) };
  }

  /** Stops taking requests; resolves once everything in flight is done (after `cancelAll`, promptly). */
  close(): Promise<void> {
    this.closed = true;
    return this.idle();
  }

  /** Ends every queued and running request with finish 'cancelled'. */
  cancelAll(): void {
    for (const r of [...this.queue, ...this.running]) this.finish(r, 'cancelled');
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.running.size === 0) return Promise.resolve();
    return new Promise((res) => this.idleWaiters.push(res));
  }

  private validate(req: EngineRequest): void {
    const V = this.model.dims.V, L = req.prompt.length;
    if (L === 0) throw new EngineRequestError('the prompt has no tokens', 'empty_prompt', 'prompt');
    for (const id of req.prompt) {
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new EngineRequestError(`token id ${id} is outside the vocabulary (0..${V - 1})`, 'invalid_token', 'prompt');
    }
    if (!Number.isInteger(req.maxTokens) || req.maxTokens < 1) throw new EngineRequestError(`max tokens must be a positive integer, got ${req.maxTokens}`, 'invalid_value', 'max_tokens');
    if (L + req.maxTokens > this.ctxSize) {
      throw new EngineRequestError(
        `this model's context is ${this.ctxSize} tokens, but ${L + req.maxTokens} were requested (${L} in the prompt, ${req.maxTokens} to generate)`,
        'context_length_exceeded', 'messages');
    }
  }

  private kick(): void {
    if (this.looping) return;
    this.looping = true;
    setImmediate(() => void this.loop());
  }

  private async loop(): Promise<void> {
    try {
      while (this.queue.length > 0 || this.running.size > 0) {
        this.step();
        // Let the event loop breathe: sockets flush, new requests and aborts arrive between steps.
        await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      this.looping = false;
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  /** Moves queued requests into the running batch (restoring cached prefixes) while there is room. */
  private admit(): void {
    while (this.running.size < this.maxActive && this.queue.length > 0) {
      const run = this.queue.shift()!;
      if (run.done) continue;
      run.admittedAt = performance.now();
      run.memory = this.model.newSequence();
      this.counters.promptTokens += run.prompt.length;
      const hit = run.req.noCache ? null : this.cache?.lookup(run.prompt) ?? null;
      if (hit) {
        run.memory.restore(hit.snapshot);
        run.pos = run.cachedTokens = hit.length;
        this.counters.cachedTokens += hit.length;
      }
      // Without a cache there is nothing to checkpoint: prefill pauses only at chunk ends.
      if (this.cache && !run.req.noCache) run.planStops(this.checkpointEvery, this.prefillChunk, run.req.checkpointAt ?? []);
      else run.planStops(0, this.prefillChunk, []);
      this.running.add(run);
      if (hit && hit.length === run.prompt.length) this.emit(run, hit.logits!);
    }
  }

  /** One forward over all running sequences. */
  private step(): void {
    this.admit();
    const rows: Row[] = [];
    let budget = this.stepTokens;
    for (const run of this.running) {
      if (run.pending !== null) { rows.push({ run, tokens: [run.pending], decode: true }); budget--; }
    }
    for (const run of this.running) {
      if (!run.prefilling) continue;
      const n = run.chunkEnd() - run.pos;
      if (n > budget) continue;
      rows.push({ run, tokens: run.prompt.slice(run.pos, run.pos + n), decode: false });
      budget -= n;
    }
    if (rows.length === 0) return;
    const t0 = performance.now();
    const V = this.model.dims.V;
    let logits: Float32Array;
    try {
      logits = this.model.forward(rows.map((r) => ({ memory: r.run.memory!, tokens: r.tokens })), { logits: 'last', out: this.logitsBuf });
    } catch (e) {
      for (const r of rows) this.fail(r.run, e);
      return;
    } finally {
      this.counters.steps++;
      this.counters.busyMs += performance.now() - t0;
    }
    rows.forEach((r, i) => {
      const run = r.run;
      if (run.done) return;
      const row = logits.subarray(i * V, (i + 1) * V);
      if (r.decode) {
        run.pending = null;
        const L = run.memory!.length;
        if (this.checkpointEvery > 0 && L % this.checkpointEvery === 0) this.checkpoint(run, row);
      } else {
        run.pos += r.tokens.length;
        this.counters.prefilledTokens += r.tokens.length;
        if (run.reachedStop(run.pos)) this.checkpoint(run, row);
        if (run.prefilling) return;
      }
      this.emit(run, row);
    });
  }

  /** Chooses the next token of `run` from its logits row and hands it to the caller. */
  private emit(run: Run, row: Float32Array): void {
    let choice;
    try {
      choice = run.sampler.next(row, run.generated);
    } catch (e) {
      this.fail(run, e);
      return;
    }
    run.firstTokenAt ??= performance.now();
    run.generated.push(choice.id);
    this.counters.generatedTokens++;
    let keepGoing: boolean | void = true;
    try {
      keepGoing = run.req.onToken?.({ ...choice, index: run.generated.length - 1 });
    } catch (e) {
      this.fail(run, e);
      return;
    }
    if (run.done) return;
    if (keepGoing === false) this.finish(run, 'stop', row);
    else if (run.req.stopIds?.includes(choice.id)) this.finish(run, 'eos', row);
    else if (run.generated.length >= run.req.maxTokens) this.finish(run, 'length', row);
    else run.pending = choice.id;
  }

  /** Stores the state of `run` as it is now (its logits row `row` belongs to its last fed token). */
  private checkpoint(run: Run, row: Float32Array | null): void {
    if (!this.cache || run.req.noCache || !run.memory || run.memory.length === 0) return;
    const tokens = run.fedTokens();
    if (this.cache.refresh(tokens)) return;
    this.cache.put(tokens, run.memory.snapshot(), row ? row.slice() : null);
  }

  private finish(run: Run, reason: FinishReason, lastRow: Float32Array | null = null): void {
    if (run.done) return;
    if (reason === 'eos' || reason === 'stop' || reason === 'length') this.checkpoint(run, lastRow);
    this.detach(run);
    this.counters.finished[reason]++;
    run.resolve(run.result(reason, performance.now()));
  }

  private fail(run: Run, e: unknown): void {
    if (run.done) return;
    this.detach(run);
    this.counters.finished.error++;
    run.reject(e);
  }

  private detach(run: Run): void {
    run.done = true;
    if (run.timer) clearTimeout(run.timer);
    if (run.onAbort) run.req.signal?.removeEventListener('abort', run.onAbort);
    this.running.delete(run);
    const qi = this.queue.indexOf(run);
    if (qi >= 0) this.queue.splice(qi, 1);
    run.memory = null;
  }
}
