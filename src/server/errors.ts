/**
 * OpenAI-style errors: `{"error": {"message", "type", "param", "code"}}` with the HTTP status that
 * OpenAI's API uses for the case. Everything a handler throws goes through `toApiError`, so a client
 * always gets one of these and never a stack trace; only unexpected errors become a 500.
 */
import { JambaUserError } from '../errors.js';
import { EngineClosedError, EngineRequestError, QueueFullError } from '../engine/types.js';

export type ErrorType = 'invalid_request_error' | 'not_found_error' | 'server_error' | 'overloaded_error' | 'timeout_error';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly type: ErrorType = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400 naming the offending field. */
export function invalid(message: string, param: string | null = null, code: string | null = 'invalid_value'): ApiError {
  return new ApiError(400, message, 'invalid_request_error', param, code);
}

export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof QueueFullError) {
    return new ApiError(503, e.message, 'overloaded_error', null, 'queue_full', { 'Retry-After': '1' });
  }
  if (e instanceof EngineClosedError) return new ApiError(503, e.message, 'overloaded_error', null, 'shutting_down');
  if (e instanceof EngineRequestError) return new ApiError(400, e.message, 'invalid_request_error', e.param ?? null, e.code);
  // A template that fails on the given messages, a tokenizer refusing input: the request's fault.
  if (e instanceof JambaUserError) return new ApiError(400, e.message, 'invalid_request_error', null, 'invalid_request');
  return new ApiError(500, 'internal server error', 'server_error', null, null);
}
