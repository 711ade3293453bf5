/**
 * `jamba tokenize` as a user runs it (node bin/jamba.js): the contract of docs/architecture.md for a
 * folder, a tokenizer.json and a .gguf, --no-special, --text - from stdin, and one-line user errors
 * with exit code 2.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT, TOKENIZER_DATA } from './shared-data.js';

function jamba(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'jamba.js'), ...args], { input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const LLAMA2 = join(TOKENIZER_DATA, 'llama2');
const GGUF = join(TOKENIZER_DATA, 'llama-spm', 'ggml-vocab-llama-spm.gguf');

function assertUserError(r: { code: number | null; stdout: string; stderr: string }, re: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line expected: ${r.stderr}`);
  assert.match(r.stderr, re);
}

describe('jamba tokenize', () => {
  it('prints the ids with BOS for a folder, a tokenizer.json and a .gguf', () => {
    for (const path of [LLAMA2, join(LLAMA2, 'tokenizer.json'), GGUF]) {
      const r = jamba(['tokenize', '--tokenizer', path, '--text', 'Hello world']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), [1, 15043, 3186], path);
    }
  });

  it('adds no BOS/EOS with --no-special but still parses special-token text', () => {
    const r = jamba(['tokenize', '--tokenizer', LLAMA2, '--text', 'Hi</s>', '--no-special']);
    assert.equal(r.code, 0, r.stderr);
    const ids = JSON.parse(r.stdout) as number[];
    assert.notEqual(ids[0], 1);
    assert.equal(ids.at(-1), 2);
  });

  it('reads the text from stdin with --text -', () => {
    const r = jamba(['tokenize', '--tokenizer', GGUF, '--text', '-', '--no-special'], 'Hello world');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [15043, 3186]);
  });

  it('exits 2 with one line for user errors', () => {
    assertUserError(jamba(['tokenize', '--tokenizer', LLAMA2]), /missing required flag --text/);
    assertUserError(jamba(['tokenize', '--text', 'x']), /missing required flag --tokenizer/);
    assertUserError(jamba(['tokenize', '--tokenizer', '/no/such/dir', '--text', 'x']), /does not exist/);
    assertUserError(jamba(['tokenize', '--tokenizer', LLAMA2, '--text', 'x', '--bogus']), /unknown flag --bogus/);
    const dir = mkdtempSync(join(tmpdir(), 'jamba-tok-'));
    writeFileSync(join(dir, 'tokenizer.json'), '{"model": ');
    assertUserError(jamba(['tokenize', '--tokenizer', dir, '--text', 'x']), /not valid JSON/);
    writeFileSync(join(dir, 'bad.gguf'), 'not a gguf file at all');
    assertUserError(jamba(['tokenize', '--tokenizer', join(dir, 'bad.gguf'), '--text', 'x']), /bad\.gguf/);
    writeFileSync(join(dir, 'notes.txt'), 'x');
    assertUserError(jamba(['tokenize', '--tokenizer', join(dir, 'notes.txt'), '--text', 'x']), /expected a folder, a tokenizer\.json or a \.gguf/);
  });

  it('lists itself in --help', () => {
    const r = jamba(['tokenize', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: jamba tokenize --tokenizer <folder\|tokenizer\.json\|file\.gguf> --text <s> \[--no-special\]/);
  });
});
