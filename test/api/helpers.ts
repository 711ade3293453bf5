/**
 * The API tests' model: the hybrid-moe reference checkpoint (attention + Mamba + MoE, vocab 512, read in
 * place from ../shared/reference) with the 512-token tokenizer fixture that carries the Jamba 1.5 chat
 * template (test/fixtures/server-tokenizer), on the reference backend. Loaded once per process.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTextModel, type TextModel } from '../../src/api/text-model.js';
import { REPO_ROOT, referenceDir } from '../helpers/reference.js';

export const MODEL_DIR = referenceDir('hybrid-moe');
export const TOKENIZER_DIR = join(REPO_ROOT, 'test', 'fixtures', 'server-tokenizer');

let cached: Promise<TextModel> | null = null;

export function textModel(): Promise<TextModel> {
  cached ??= loadTextModel(MODEL_DIR, { tokenizer: TOKENIZER_DIR, backend: 'ref' });
  return cached;
}

export const tmp = (): string => mkdtempSync(join(tmpdir(), 'jamba-api-'));

/** Reads a generation chunk by chunk; returns the chunks and the result. */
export async function collect<R>(g: AsyncIterable<string> & { result: Promise<R> }): Promise<{ chunks: string[]; result: R }> {
  const chunks: string[] = [];
  for await (const c of g) chunks.push(c);
  return { chunks, result: await g.result };
}
