/**
 * createBackend: 'ref' gives the oracle, 'auto' the native backend when the addon loads, and when it
 * does not (simulated in a child process with JAMBA_NATIVE_ADDON pointing nowhere) 'auto' falls back
 * to ref with exactly one notice on stderr while 'native' throws a JambaUserError.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createBackend } from '../../src/backends/index.js';
import { skipReason } from './helpers.js';

const indexUrl = new URL('../../src/backends/index.js', import.meta.url).href;

test('createBackend("ref") is the reference backend', () => {
  assert.equal(createBackend('ref').name, 'ref');
});

test('createBackend("auto") and ("native") give the native backend when the addon is built', { skip: skipReason() }, () => {
  assert.equal(createBackend('auto', 2).name, 'native');
  assert.equal(createBackend('native', 2).name, 'native');
});

test('without the addon: auto falls back to ref once, loudly; native is a user error', () => {
  const script = `
    const { createBackend } = await import(${JSON.stringify(indexUrl)});
    const names = [createBackend('auto').name, createBackend('auto').name];
    let err = null;
    try { createBackend('native'); } catch (e) { err = e.name + ': ' + e.message; }
    console.log(JSON.stringify({ names, err }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, JAMBA_NATIVE_ADDON: fileURLToPath(new URL('./no-such-addon.node', import.meta.url)) },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { names: string[]; err: string | null };
  assert.deepEqual(out.names, ['ref', 'ref']);
  assert.match(out.err ?? '', /^JambaUserError: the native backend is not available/);
  const notices = r.stderr.split('\n').filter((l) => l.includes('native backend unavailable'));
  assert.equal(notices.length, 1, `stderr was: ${r.stderr}`);
});
