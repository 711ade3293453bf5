/**
 * `jamba serve` as a user runs it (a child process): the model id follows the contract, SIGTERM shuts
 * down cleanly (exit 0), and with --cache-dir the prompt cache survives the restart (the same chat
 * reports its prompt as cached tokens on the new process). User errors exit 2 with one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUserError, jamba } from '../helpers/cli.js';
import { REPO_ROOT, referenceDir } from '../helpers/reference.js';
import { post, TOKENIZER_DIR } from './helpers.js';

interface Served { proc: ChildProcess; base: string; exit: Promise<number | null>; stderr: () => string }

async function serve(args: string[]): Promise<Served> {
  const proc = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'jamba.js'), 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  proc.stderr!.on('data', (d) => { err += d; });
  const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`serve did not start: ${err}`)); }, 30_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /on (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    });
    void exit.then((c) => { clearTimeout(timer); reject(new Error(`serve exited with ${c}: ${err}`)); });
  });
  return { proc, base, exit, stderr: () => err };
}

const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'Once upon a time there was a frog' }], max_tokens: 3, temperature: 0 });

test('jamba serve: model id, graceful SIGTERM, prompt cache kept across a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jamba-serve-cache-'));
  const args = ['--model', referenceDir('hybrid-moe'), '--tokenizer', TOKENIZER_DIR, '--cache-dir', dir, '--backend', 'ref'];
  const a = await serve(args);
  try {
    const models = await (await fetch(a.base + '/v1/models')).json() as { data: { id: string }[] };
    assert.deepEqual(models.data.map((m) => m.id), ['hybrid-moe']);
    const r1 = await post(a.base, '/v1/chat/completions', chat('hybrid-moe'));
    assert.equal(r1.status, 200, r1.text);
    assert.equal(r1.json.usage.prompt_tokens_details.cached_tokens, 0);
  } finally {
    a.proc.kill('SIGTERM');
  }
  assert.equal(await a.exit, 0, a.stderr());

  const b = await serve([...args, '--model-id', 'my-model']);
  try {
    assert.match(b.stderr(), /checkpoints read from/);
    const wrong = await post(b.base, '/v1/chat/completions', chat('hybrid-moe'));
    assert.equal(wrong.status, 404);
    const r2 = await post(b.base, '/v1/chat/completions', chat('my-model'));
    assert.equal(r2.status, 200, r2.text);
    assert.equal(r2.json.usage.prompt_tokens_details.cached_tokens, r2.json.usage.prompt_tokens);
  } finally {
    b.proc.kill('SIGTERM');
  }
  assert.equal(await b.exit, 0, b.stderr());
});

test('jamba serve user errors exit 2 with one line', () => {
  const noTok = jamba(['serve', '--model', referenceDir('hybrid-moe'), '--port', '0']);
  const e1 = isUserError(noTok, /tokenizer/);
  assert.equal(e1, null, e1 ?? '');
  const badPort = jamba(['serve', '--model', referenceDir('hybrid-moe'), '--port', '99999']);
  const e2 = isUserError(badPort, /--port/);
  assert.equal(e2, null, e2 ?? '');
});
