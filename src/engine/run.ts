/**
 * One request inside the engine: its sequence memory, how far its prompt has been prefilled, what it has
 * generated, and the positions where its prefill stops for a checkpoint.
 *
 * Prefill chunk boundaries depend on the request alone — multiples of the chunk size, the checkpoint
 * positions and the prompt end — never on the batch it happens to share a step with, so a request cuts
 * its prompt the same way whether it runs alone or among others (and a checkpoint always sits on a
 * boundary, so a later request that restores it continues exactly as an uncached run would).
 */
import type { SequenceMemory } from '../memory/sequence.js';
import type { EngineRequest, EngineResult, FinishReason, TokenSampler } from './types.js';

export class Run {
  /** Prompt tokens already in `memory`. */
  pos = 0;
  readonly generated: number[] = [];
  /** Sampled but not yet fed to the model (the next decode row). */
  pending: number | null = null;
  cachedTokens = 0;
  /** Sorted prompt positions (> pos) where prefill pauses and a checkpoint is taken. */
  stops: number[] = [];
  memory: SequenceMemory | null = null;
  done = false;
  admittedAt: number | null = null;
  firstTokenAt: number | null = null;
  timer: ReturnType<typeof setTimeout> | null = null;
  onAbort: (() => void) | null = null;
  private chunk = 1;

  constructor(
    readonly req: EngineRequest,
    readonly sampler: TokenSampler,
    readonly submittedAt: number,
    readonly resolve: (r: EngineResult) => void,
    readonly reject: (e: unknown) => void,
  ) {}

  get prompt(): readonly number[] { return this.req.prompt; }

  get prefilling(): boolean { return this.pos < this.req.prompt.length; }

  /** Checkpoint positions of the prompt: `at` (e.g. message ends), every `every` tokens, the prompt end. */
  planStops(every: number, chunk: number, at: readonly number[]): void {
    const L = this.req.prompt.length;
    const set = new Set<number>([L]);
    for (const p of at) if (Number.isInteger(p) && p > 0 && p < L) set.add(p);
    if (every > 0) for (let p = every; p < L; p += every) set.add(p);
    this.stops = [...set].filter((p) => p > this.pos).sort((a, b) => a - b);
    this.chunk = chunk;
  }

  /** End (exclusive) of the next prefill chunk. */
  chunkEnd(): number {
    const nextMultiple = (Math.floor(this.pos / this.chunk) + 1) * this.chunk;
    return Math.min(nextMultiple, this.stops[0] ?? this.req.prompt.length);
  }

  /** Whether position `p` of the prompt is a checkpoint stop; drops passed stops. */
  reachedStop(p: number): boolean {
    let hit = false;
    while (this.stops.length > 0 && this.stops[0]! <= p) hit = this.stops.shift() === p || hit;
    return hit;
  }

  /** Tokens fed to the model so far (prompt, then generated tokens except the pending one). */
  fedTokens(): number[] {
    const n = this.memory?.length ?? 0;
    if (n <= this.req.prompt.length) return this.req.prompt.slice(0, n);
    return [...this.req.prompt, ...this.generated.slice(0, n - this.req.prompt.length)];
  }

  result(finish: FinishReason, now: number): EngineResult {
    return {
      tokens: this.generated.slice(),
      finish,
      promptTokens: this.req.prompt.length,
      cachedTokens: this.cachedTokens,
      timing: {
        queuedMs: (this.admittedAt ?? now) - this.submittedAt,
        firstTokenMs: this.firstTokenAt === null ? null : this.firstTokenAt - this.submittedAt,
        totalMs: now - this.submittedAt,
      },
    };
  }
}
