/**
 * What the engine (src/engine/scheduler.ts) takes and gives back. The engine works on token ids only:
 * text, chat templates and stop strings belong to the caller (the server), which sees every token
 * through `onToken` and can end a request there.
 */

export interface TopLogprob {
  id: number;
  logprob: number;
}

/** One chosen token; logprobs are of the model's distribution (log-softmax of the raw logits). */
export interface TokenChoice {
  id: number;
  logprob?: number;
  top?: TopLogprob[];
}

/**
 * Chooses tokens for one request from a logits row [V] and the ids it generated so far; holds the
 * request's own random state, so its draws do not depend on what else runs.
 */
export interface TokenSampler {
  next(logits: Float32Array, generated: readonly number[]): TokenChoice;
}

export interface TokenEvent extends TokenChoice {
  /** 0 for the first generated token. */
  index: number;
}

/**
 * eos: a stop id was generated (kept in `tokens`); stop: `onToken` asked to stop; length: max tokens;
 * cancelled: the signal aborted or the engine was shut down; timeout: the request's time ran out.
 */
export type FinishReason = 'eos' | 'stop' | 'length' | 'cancelled' | 'timeout';

export interface EngineRequest {
  prompt: readonly number[];
  /** Prompt positions (token counts, e.g. where each chat message ends) worth a prompt-cache checkpoint. */
  checkpointAt?: readonly number[];
  maxTokens: number;
  /** Default: greedy (argmax, ties to the lowest id), no logprobs. */
  sampler?: TokenSampler;
  /** Generating one of these ends the request (finish 'eos'); the id is kept in the output. */
  stopIds?: readonly number[];
  /** Called for each generated token, in order, during the step that made it; return false to stop. */
  onToken?: (t: TokenEvent) => boolean | void;
  signal?: AbortSignal;
  /** Wall-clock limit from submission (queue time included). */
  timeoutMs?: number;
  /** Skip the prompt cache for this request (neither read nor write). */
  noCache?: boolean;
}

export interface EngineResult {
  tokens: number[];
  finish: FinishReason;
  promptTokens: number;
  /** Prompt tokens restored from the prompt cache instead of being prefilled. */
  cachedTokens: number;
  /** Milliseconds from submission: admitted to the running batch, first token, done. */
  timing: { queuedMs: number; firstTokenMs: number | null; totalMs: number };
}

/** The bounded queue is full; try again later. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
  constructor(readonly queued: number) {
    super(`the server is busy: ${queued} requests are already waiting`);
  }
}

/** The engine is shutting down and takes no new requests. */
export class EngineClosedError extends Error {
  override readonly name = 'EngineClosedError';
  constructor() {
    super('the server is shutting down');
  }
}

/** A request the engine cannot run as given (empty prompt, too long for the context, bad ids). */
export class EngineRequestError extends Error {
  override readonly name = 'EngineRequestError';
  constructor(message: string, readonly code: string, readonly param?: string) {
    super(message);
  }
}
