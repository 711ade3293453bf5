/**
 * The request fields chat and text completions share: limits, sampling, stop strings, streaming,
 * logprobs, and the ones this server refuses with a clear 400 (n > 1, response_format other than text
 * until constrained decoding exists). Sampling itself is src/generate/sampling.ts; `samplerFor` wraps it
 * as the engine's per-request TokenSampler.
 */
import type { TokenChoice, TokenSampler } from '../engine/types.js';
import { Sampler, type SamplingParams } from '../generate/sampling.js';
import { ApiError, invalid } from './errors.js';
import type { Fields } from './fields.js';

export interface GenParams {
  /** undefined: up to the end of the context. */
  maxTokens: number | undefined;
  /** Which field gave maxTokens (for error messages). */
  maxTokensKey: 'max_tokens' | 'max_completion_tokens';
  stop: string[];
  stream: boolean;
  includeUsage: boolean;
  /** Alternatives to report per token; undefined: no logprobs at all. */
  logprobs: number | undefined;
  sampling: SamplingParams;
}

export function readGenParams(f: Fields, kind: 'chat' | 'completion', vocabSize: number): GenParams {
  const n = f.number('n', { int: true, min: 1 });
  if (n !== undefined && n > 1) throw invalid(`'n' must be 1: this server returns one choice per request, got ${n}`, 'n', 'unsupported_value');
  if (kind === 'completion') {
    const best = f.number('best_of', { int: true, min: 1 });
    if (best !== undefined && best > 1) throw invalid(`'best_of' must be 1 on this server, got ${best}`, 'best_of', 'unsupported_value');
    if (f.bool('echo')) throw invalid("'echo' is not supported by this server", 'echo', 'unsupported_value');
    if (f.string('suffix')) throw invalid("'suffix' is not supported by this server", 'suffix', 'unsupported_value');
  }
  const rf = f.object('response_format');
  if (rf) {
    const type = rf.requireString('type');
    if (type !== 'text') {
      throw new ApiError(400, `response_format '${type}' needs constrained decoding, which this server does not have yet; leave response_format out or use {"type": "text"}`,
        'invalid_request_error', 'response_format', 'unsupported_response_format');
    }
  }

  const maxKey = kind === 'chat' && f.has('max_completion_tokens') ? 'max_completion_tokens' : 'max_tokens';
  const maxTokens = f.number(maxKey, { int: true, min: 1 });

  let stop: string[] = [];
  const s = f.raw('stop');
  if (typeof s === 'string') stop = [s];
  else if (Array.isArray(s)) {
    if (s.length > 16) throw invalid(`'stop' may hold at most 16 strings, got ${s.length}`, 'stop');
    stop = s.map((x, i) => {
      if (typeof x !== 'string') throw invalid(`'stop[${i}]' must be a string`, `stop[${i}]`);
      return x;
    });
  } else if (s !== undefined) throw invalid("'stop' must be a string or an array of strings", 'stop');
  stop = stop.filter((x) => x.length > 0);

  const stream = f.bool('stream') ?? false;
  const so = f.object('stream_options');
  if (so && !stream) throw invalid("'stream_options' is only allowed when 'stream' is true", 'stream_options');
  const includeUsage = so?.bool('include_usage') ?? false;

  let logprobs: number | undefined;
  if (kind === 'chat') {
    const want = f.bool('logprobs') ?? false;
    const top = f.number('top_logprobs', { int: true, min: 0, max: 20 });
    if (top !== undefined && !want) throw invalid("'top_logprobs' needs 'logprobs': true", 'top_logprobs');
    logprobs = want ? top ?? 0 : undefined;
  } else {
    logprobs = f.number('logprobs', { int: true, min: 0, max: 20 });
  }

  const sampling: SamplingParams = {
    temperature: f.number('temperature', { min: 0, max: 2 }) ?? 1,
    topP: f.number('top_p', { min: 0, max: 1, exclusiveMin: true }),
    topK: f.number('top_k', { int: true, min: 0 }),
    minP: f.number('min_p', { min: 0, max: 1 }),
    presencePenalty: f.number('presence_penalty', { min: -2, max: 2 }),
    frequencyPenalty: f.number('frequency_penalty', { min: -2, max: 2 }),
    repetitionPenalty: f.number('repetition_penalty', { min: 0, exclusiveMin: true }),
    seed: f.number('seed', { int: true }),
    topLogprobs: logprobs ?? 0,
  };
  const lb = f.object('logit_bias');
  if (lb) {
    const bias: Record<number, number> = {};
    for (const key of Object.keys(lb.value())) {
      const id = Number(key);
      if (!/^\d+$/.test(key) || id >= vocabSize) throw invalid(`'logit_bias' key '${key}' is not a token id (0..${vocabSize - 1})`, 'logit_bias');
      const b = lb.number(key, { min: -100, max: 100 });
      if (b === undefined) throw invalid(`'logit_bias.${key}' must be a number`, 'logit_bias');
      bias[id] = b;
    }
    sampling.logitBias = bias;
  }
  for (const k of Object.keys(sampling) as (keyof SamplingParams)[]) if (sampling[k] === undefined) delete sampling[k];
  return { maxTokens, maxTokensKey: maxKey, stop, stream, includeUsage, logprobs, sampling };
}

/** The engine-facing sampler of one request; penalties look at the tokens it generated so far. */
export function samplerFor(p: GenParams): TokenSampler {
  const s = new Sampler(p.sampling);
  const want = p.logprobs !== undefined;
  return {
    next(logits: Float32Array, generated: readonly number[]): TokenChoice {
      const t = s.sample(logits, generated);
      return want ? { id: t.id, logprob: t.logprob, top: t.topLogprobs } : { id: t.id };
    },
  };
}
