/**
 * Locates the read-only tokenizer fixtures in ../shared/data/tokenizers (resolved from the repo root,
 * never copied into the repo) and reads expected.jsonl cases and llama.cpp's .inp/.out pairs.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: this file runs from dist/test/tokenizer/. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const TOKENIZER_DATA = join(REPO_ROOT, '..', 'shared', 'data', 'tokenizers');
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');

export interface ExpectedCase {
  text: string;
  ids: number[];
  pieces: string[];
  decoded: string;
  source: string;
}

export function readExpected(vocab: string): ExpectedCase[] {
  return readFileSync(join(TOKENIZER_DATA, vocab, 'expected.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ExpectedCase);
}

/** llama.cpp's test pairs: strings separated by "\n__ggml_vocab_test__\n", ids one line each. */
export function readLlamaCppPairs(base: string): { text: string; ids: number[] }[] {
  const inp = readFileSync(base + '.inp', 'utf8').split('\n__ggml_vocab_test__\n');
  if (inp.at(-1) === '') inp.pop();
  const out = readFileSync(base + '.out', 'utf8').split('\n');
  if (out.at(-1) === '') out.pop();
  if (inp.length !== out.length) throw new Error(`${base}: ${inp.length} inputs but ${out.length} outputs`);
  return inp.map((text, i) => ({ text, ids: out[i]!.trim() === '' ? [] : out[i]!.trim().split(/\s+/).map(Number) }));
}
