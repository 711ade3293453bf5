/**
 * Runs one completion request on the engine and answers it, as one JSON body or as an SSE stream, in
 * OpenAI's shapes for chat (`chat.completion[.chunk]`) and text (`text_completion`) completions:
 * content deltas as tokens arrive, logprobs, tool calls parsed from the answer, a final chunk with the
 * finish reason, and `usage` (with prompt_tokens_details.cached_tokens) when asked for.
 *
 * The request is submitted before any header is written, so "queue full", "context too long" and the
 * like are plain HTTP errors; a client that goes away cancels its request (AbortSignal).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../engine/scheduler.js';
import type { EngineResult } from '../engine/types.js';
import { parseAssistantOutput, type ChatFormat } from '../tokenizer/tool-calls.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { ApiError, invalid, toApiError } from './errors.js';
import { Sse, sendJson } from './http.js';
import { TextOutput, type TokenLogprobs } from './output.js';
import { samplerFor, type GenParams } from './params.js';

export interface ServeContext {
  engine: Engine;
  tokenizer: Tokenizer;
  modelId: string;
  /** Ids that end generation (the model config's EOS ids and the tokenizer's). */
  eosIds: number[];
  requestTimeoutMs: number | undefined;
  /** Told about every generation request that ran (for a one-line log: cache reuse must not be silent). */
  onDone?: (info: { kind: 'chat' | 'text'; result: EngineResult; finish: string }) => void;
}

export interface Job {
  kind: 'chat' | 'text';
  prompt: number[];
  checkpointAt: number[];
  params: GenParams;
  /** The chat format whose tool calls to parse out of the answer; null: none. */
  toolFormat: ChatFormat | null;
}

const OPENERS: Record<ChatFormat, string[]> = { jamba: ['<tool_calls>'], chatml: ['<tool_call>'] };

function chatLogprobs(lp: TokenLogprobs[]): { content: unknown[] } {
  const bytes = (s: string): number[] => Array.from(Buffer.from(s, 'utf8'));
  return {
    content: lp.map((t) => ({
      token: t.text, logprob: t.logprob, bytes: bytes(t.text),
      top_logprobs: t.top.map((a) => ({ token: a.text, logprob: a.logprob, bytes: bytes(a.text) })),
    })),
  };
}

function textLogprobs(lp: TokenLogprobs[], startOffset: number): Record<string, unknown> {
  let off = startOffset;
  const text_offset = lp.map((t) => { const o = off; off += t.text.length; return o; });
  return {
    tokens: lp.map((t) => t.text),
    token_logprobs: lp.map((t) => t.logprob),
    top_logprobs: lp.map((t) => Object.fromEntries(t.top.map((a) => [a.text, a.logprob]))),
    text_offset,
  };
}

function usage(r: EngineResult): Record<string, unknown> {
  return {
    prompt_tokens: r.promptTokens,
    completion_tokens: r.tokens.length,
    total_tokens: r.promptTokens + r.tokens.length,
    prompt_tokens_details: { cached_tokens: r.cachedTokens },
  };
}

export async function respond(ctx: ServeContext, job: Job, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { engine, tokenizer } = ctx;
  const p = job.params;
  const room = engine.ctxSize - job.prompt.length;
  if (room < 1) {
    throw invalid(`this model's context is ${engine.ctxSize} tokens, but the prompt alone has ${job.prompt.length}`,
      job.kind === 'chat' ? 'messages' : 'prompt', 'context_length_exceeded');
  }
  if (p.maxTokens !== undefined && p.maxTokens > room) {
    throw invalid(`this model's context is ${engine.ctxSize} tokens, but ${job.prompt.length + p.maxTokens} were requested (${job.prompt.length} in the prompt, ${p.maxTokens} to generate)`,
      job.kind === 'chat' && p.maxTokensKey === 'max_completion_tokens' ? 'max_completion_tokens' : 'max_tokens', 'context_length_exceeded');
  }
  const id = (job.kind === 'chat' ? 'chatcmpl-' : 'cmpl-') + randomBytes(12).toString('hex');
  const created = Math.floor(Date.now() / 1000);
  const chunkObject = job.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  const out = new TextOutput(tokenizer, {
    eosIds: ctx.eosIds, stop: p.stop, context: job.prompt.slice(-4), trimStart: job.kind === 'chat',
    toolOpeners: job.toolFormat ? OPENERS[job.toolFormat] : undefined,
  });
  const sse = p.stream ? new Sse(res) : null;
  let textSoFar = 0;
  const chunk = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}): void => {
    sse!.send({ id, object: chunkObject, created, model: ctx.modelId, choices: [{ index: 0, ...choice }], ...(p.includeUsage ? { usage: null } : {}), ...extra });
  };
  const delta = (text: string, lp: TokenLogprobs | undefined, finish: string | null = null): void => {
    if (job.kind === 'chat') {
      chunk({ delta: text ? { content: text } : {}, logprobs: lp ? chatLogprobs([lp]) : null, finish_reason: finish });
    } else {
      chunk({ text, logprobs: lp ? textLogprobs([lp], textSoFar) : null, finish_reason: finish });
      textSoFar += text.length;
    }
  };

  const ac = new AbortController();
  let finished = false;
  res.on('close', () => { if (!finished) ac.abort(); });

  const done = engine.submit({
    prompt: job.prompt,
    checkpointAt: job.checkpointAt,
    maxTokens: p.maxTokens ?? room,
    sampler: samplerFor(p),
    signal: ac.signal,
    timeoutMs: ctx.requestTimeoutMs,
    onToken: (ev) => {
      const step = out.push(ev);
      if (sse && (step.text || step.logprobs)) delta(step.text, step.logprobs);
      return step.done ? false : undefined;
    },
  });
  if (sse) {
    sse.open();
    if (job.kind === 'chat') chunk({ delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null });
  }

  let result: EngineResult;
  try {
    result = await done;
  } catch (e) {
    finished = true;
    if (!sse) throw e;
    sse.error(toApiError(e));
    sse.done();
    return;
  }
  finished = true;
  ctx.onDone?.({ kind: job.kind, result, finish: result.finish });
  if (result.finish === 'cancelled' || result.finish === 'timeout') {
    if (res.destroyed) return; // the client left
    const err = result.finish === 'timeout'
      ? new ApiError(504, `the request took longer than ${ctx.requestTimeoutMs} ms`, 'timeout_error', null, 'request_timeout')
      : new ApiError(503, 'the server is shutting down', 'overloaded_error', null, 'shutting_down');
    if (!sse) throw err;
    sse.error(err);
    sse.done();
    return;
  }

  const tail = out.close();
  let finish = out.stoppedBy ? 'stop' : result.finish === 'length' ? 'length' : 'stop';
  const parsed = job.toolFormat && out.inToolCall ? parseAssistantOutput(out.all, job.toolFormat) : null;
  const calls = parsed && parsed.toolCalls.length > 0
    ? parsed.toolCalls.map((c) => ({
      id: 'call_' + randomBytes(8).toString('hex'), type: 'function' as const,
      function: { name: c.function.name, arguments: typeof c.function.arguments === 'string' ? c.function.arguments : JSON.stringify(c.function.arguments) },
    }))
    : null;
  if (calls) finish = 'tool_calls';

  if (sse) {
    const held = parsed && !calls ? out.all.slice(out.shown.length) : '';
    if (tail || held) delta(tail + held, undefined);
    if (calls) chunk({ delta: { tool_calls: calls.map((c, index) => ({ index, ...c })) }, logprobs: null, finish_reason: null });
    if (job.kind === 'chat') chunk({ delta: {}, logprobs: null, finish_reason: finish });
    else chunk({ text: '', logprobs: null, finish_reason: finish });
    if (p.includeUsage) sse.send({ id, object: chunkObject, created, model: ctx.modelId, choices: [], usage: usage(result) });
    sse.done();
    return;
  }

  const lp = p.logprobs !== undefined;
  let choice: Record<string, unknown>;
  if (job.kind === 'chat') {
    const content = calls ? (parsed!.content || null) : parsed ? out.all.trimStart() : out.shown;
    const message: Record<string, unknown> = { role: 'assistant', content };
    if (calls) message.tool_calls = calls;
    choice = { index: 0, message, logprobs: lp ? chatLogprobs(out.logprobs) : null, finish_reason: finish };
  } else {
    choice = { index: 0, text: out.shown, logprobs: lp ? textLogprobs(out.logprobs, 0) : null, finish_reason: finish };
  }
  sendJson(res, 200, { id, object: job.kind === 'chat' ? 'chat.completion' : 'text_completion', created, model: ctx.modelId, choices: [choice], usage: usage(result) });
}
