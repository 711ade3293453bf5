/**
 * What `generate`, `chat` and `ChatSession.send` hand back: an AsyncIterable of text chunks plus the
 * final result.
 *
 *   const g = model.generate('Once upon a time', { maxTokens: 50 });
 *   for await (const chunk of g) process.stdout.write(chunk);
 *   const r = await g.result;            // text, token ids, finish reason, counts, timings
 *
 * Nothing runs until the chunks are iterated or `result` is read; reading `result` alone runs the whole
 * generation without streaming. Iterating pulls one token at a time (a slow reader slows the model,
 * never the reverse); breaking out of the loop ends generation with finishReason 'cancelled'. A
 * Generation streams once.
 */

/** What runs a generation: `chunks` yields text and returns the result; `stopped` gives the result of a
 *  run whose reader left early (called after `chunks`' own `finally` blocks ran). */
export interface GenerationSource<R> {
  chunks(): AsyncGenerator<string, R, void>;
  stopped(): R;
}

export class Generation<R> implements AsyncIterable<string> {
  private readonly settled: Promise<R>;
  private resolve!: (r: R) => void;
  private reject!: (e: unknown) => void;
  private claimed = false;

  constructor(private readonly source: GenerationSource<R>) {
    this.settled = new Promise<R>((res, rej) => { this.resolve = res; this.reject = rej; });
    this.settled.catch(() => undefined); // a failure is reported to whoever iterates or awaits `result`
  }

  /** The final result; runs the generation to the end if nobody is iterating it. */
  get result(): Promise<R> {
    if (!this.claimed) void this.drain();
    return this.settled;
  }

  /** The whole text (runs to the end, like `result`). */
  async text(): Promise<string> {
    return ((await this.result) as { text: string }).text;
  }

  [Symbol.asyncIterator](): AsyncIterator<string> {
    if (this.claimed) throw new Error('this generation is already being read (a Generation streams once)');
    this.claimed = true;
    return this.stream();
  }

  private async *stream(): AsyncGenerator<string, void, void> {
    let over = false;
    try {
      const r = yield* this.source.chunks();
      over = true;
      this.resolve(r);
    } catch (e) {
      over = true;
      this.reject(e);
      throw e;
    } finally {
      if (!over) {
        try {
          this.resolve(this.source.stopped());
        } catch (e) {
          this.reject(e);
        }
      }
    }
  }

  private async drain(): Promise<void> {
    try {
      for await (const _ of this);
    } catch {
      // already delivered through `result`
    }
  }
}
