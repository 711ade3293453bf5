/**
 * POST /v1/completions request → prompt token ids. `prompt` is a string (encoded with the tokenizer's
 * BOS rule), a list of token ids (used as given), or a one-element list of either; several prompts in
 * one request would be several choices, which this server does not return (400).
 */
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { invalid } from './errors.js';
import type { Fields } from './fields.js';

const isIdList = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number');

export function completionPrompt(f: Fields, tok: Tokenizer): number[] {
  let p = f.raw('prompt');
  if (p === undefined) throw invalid("'prompt' is required", 'prompt', 'missing_required_parameter');
  if (Array.isArray(p) && p.length === 1 && (typeof p[0] === 'string' || Array.isArray(p[0]))) p = p[0];
  else if (Array.isArray(p) && p.length > 1 && !isIdList(p)) {
    throw invalid(`'prompt' holds ${p.length} prompts; this server takes one per request`, 'prompt', 'unsupported_value');
  }
  if (typeof p === 'string') {
    if (p.length === 0) throw invalid("'prompt' is empty", 'prompt');
    return tok.encode(p);
  }
  if (isIdList(p)) {
    for (const id of p) {
      if (!Number.isInteger(id) || id < 0) throw invalid(`'prompt' token id ${id} is not a non-negative integer`, 'prompt');
    }
    return p;
  }
  throw invalid("'prompt' must be a string, a list of token ids, or a one-element list of either", 'prompt');
}
