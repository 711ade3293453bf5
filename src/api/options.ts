/**
 * Options of the library's text API (generate, chat, chat sessions). Sampling parameters are
 * generate/sampling.ts's own (validated there); this file adds the stopping rules, streaming and
 * cancellation options and splits an options object into those parts.
 *
 * Defaults are the sampler's: temperature 1, no top-k/top-p/min-p, no penalties, a fresh random seed
 * (OpenAI's defaults). The CLI picks llama.cpp-like defaults of its own (see cli/commands/run.ts).
 */
import { JambaUserError } from '../errors.js';
import type { SamplingParams } from '../generate/sampling.js';

export interface GenerateOptions extends SamplingParams {
  /** Most new tokens (default: until an EOS id, a stop string or the end of the context). */
  maxTokens?: number;
  /** Strings that end generation; neither they nor anything after them is returned. */
  stop?: readonly string[];
  /** Keep going past EOS ids (their text is then part of the output). */
  ignoreEos?: boolean;
  /** Return each token's log-probability (and `topLogprobs` alternatives) in the result. */
  logprobs?: boolean;
  /** Show special tokens (BOS, <|pad|>, …) in the text (default false). */
  special?: boolean;
  /** Aborting ends generation at the next token boundary with finishReason 'cancelled'. */
  signal?: AbortSignal;
  /** Prompt tokens per forward pass during prefill (default 512). */
  prefillChunk?: number;
}

/** Options of a raw-text `generate`. */
export interface TextGenerateOptions extends GenerateOptions {
  /** Add BOS/EOS to a text prompt as the tokenizer files say (default true; ids are used as given). */
  addSpecial?: boolean;
}

const SAMPLING_KEYS = [
  'temperature', 'topK', 'topP', 'minP', 'repetitionPenalty', 'presencePenalty', 'frequencyPenalty',
  'penaltyLastN', 'logitBias', 'seed', 'topLogprobs',
] as const satisfies readonly (keyof SamplingParams)[];

/** The sampling part of an options object (only the keys that are set). */
export function samplingParams(o: GenerateOptions): SamplingParams {
  const p: Record<string, unknown> = {};
  for (const k of SAMPLING_KEYS) if (o[k] !== undefined) p[k] = o[k];
  return p as SamplingParams;
}

/** Checks the non-sampling options; each error names the option. */
export function checkGenerateOptions(o: GenerateOptions): void {
  if (o.maxTokens !== undefined && !(Number.isInteger(o.maxTokens) && o.maxTokens >= 0)) {
    throw new JambaUserError(`maxTokens must be an integer ≥ 0, got ${o.maxTokens}`);
  }
  if (o.prefillChunk !== undefined && !(Number.isInteger(o.prefillChunk) && o.prefillChunk >= 1)) {
    throw new JambaUserError(`prefillChunk must be a positive integer, got ${o.prefillChunk}`);
  }
  if (o.stop !== undefined && (!Array.isArray(o.stop) || o.stop.some((s) => typeof s !== 'string'))) {
    throw new JambaUserError('stop must be a list of strings');
  }
}
