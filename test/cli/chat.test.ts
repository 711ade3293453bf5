/**
 * `jamba chat` with stdin piped: one answer per line on stdout (as the library's session computes them),
 * commands on stderr, /save in one process and --load or /load in another continuing exactly, and
 * one-line exit-2 errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUserError, jamba } from '../helpers/cli.js';
import { MODEL_DIR, TOKENIZER_DIR, textModel } from '../api/helpers.js';

const M = ['--model', MODEL_DIR, '--tokenizer', TOKENIZER_DIR, '--backend', 'ref', '--max-tokens', '6', '--ignore-eos'];

test('piped chat answers each line, keeping the conversation: greedy equals the library session', async () => {
  const tm = await textModel();
  const s = tm.session({ system: 'Be kind.', temperature: 0, maxTokens: 6, ignoreEos: true });
  const a1 = (await s.send('Hello').result).text;
  const a2 = (await s.send('Tell me more').result).text;
  const r = jamba(['chat', ...M, '--system', 'Be kind.', '--temperature', '0'], 'Hello\n\nTell me more\n');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${a1}\n${a2}\n`);
});

test('/save in one process, then --load or /load in another, continues as if it never stopped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jamba-chat-'));
  const file = join(dir, 'talk.jses');
  const S = [...M, '--seed', '9'];
  const whole = jamba(['chat', ...S], 'Hello\nTell me more\nAnd then?\n');
  assert.equal(whole.code, 0, whole.stderr);
  const first = jamba(['chat', ...S], `Hello\n/save ${file}\n`);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /saved 2 messages and \d+ tokens of model state/);
  const resumed = jamba(['chat', ...S, '--load', file], 'Tell me more\nAnd then?\n');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(first.stdout + resumed.stdout, whole.stdout);
  const loaded = jamba(['chat', ...S], `/load ${file}\nTell me more\nAnd then?\n`);
  assert.equal(first.stdout + loaded.stdout, whole.stdout);
});

test('/help, /history and /reset answer on stderr; after /reset the conversation starts over', () => {
  const G = [...M, '--temperature', '0'];
  const one = jamba(['chat', ...G], 'Hello\n');
  const r = jamba(['chat', ...G], 'Hello\n/help\n/history\n/reset\nHello\n/exit\nnot read\n');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, one.stdout + one.stdout);
  assert.match(r.stderr, /\/save <file>/);
  assert.match(r.stderr, /user: Hello\nassistant: /);
  assert.match(r.stderr, /conversation cleared/);
});

test('chat: user errors are one line and exit 2 (flags, commands, session files); --help works', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jamba-chat-'));
  writeFileSync(join(dir, 'junk.jses'), 'junk');
  const cases: [string[], string, RegExp][] = [
    [['chat', ...M], 'Hi\n/frobnicate\n', /unknown command \/frobnicate/],
    [['chat', ...M], '/load\n', /\/load needs a file name/],
    [['chat', ...M], `/load ${join(dir, 'none.jses')}\n`, /cannot read the session/],
    [['chat', ...M, '--load', join(dir, 'junk.jses')], 'Hi\n', /not a jamba-ts chat session/],
    [['chat', ...M, 'hello'], '', /takes no arguments/],
    [['chat', ...M, '--chat-template', join(dir, 'none.jinja')], '', /cannot read --chat-template/],
    [['chat', '--model', MODEL_DIR], '', /no tokenizer\.json/],
  ];
  for (const [args, input, re] of cases) assert.equal(isUserError(jamba(args, input), re), null, `${args.join(' ')} <<< ${input}`);
  const h = jamba(['chat', '--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /Usage: jamba chat/);
  assert.match(h.stdout, /--load <file>/);
});
