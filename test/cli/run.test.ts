/** `jamba run "<prompt>"`: the continuation on stdout (as the library computes it), the default model, user errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultModelPath } from '../../src/api/default-model.js';
import { isUserError, jamba } from '../helpers/cli.js';
import { MODEL_DIR, TOKENIZER_DIR, textModel } from '../api/helpers.js';

const M = ['--model', MODEL_DIR, '--tokenizer', TOKENIZER_DIR, '--backend', 'ref'];

test('run streams the continuation and a newline: greedy equals the library, a seed repeats, - reads stdin', async () => {
  const tm = await textModel();
  const want = await tm.generate('Once upon a time', { maxTokens: 8, temperature: 0, ignoreEos: true }).result;
  const r = jamba(['run', 'Once upon a time', ...M, '--max-tokens', '8', '--temperature', '0', '--ignore-eos']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, want.text + '\n');
  const s1 = jamba(['run', 'Once upon a time', ...M, '--max-tokens', '8', '--seed', '5', '--stats']);
  const s2 = jamba(['run', '-', ...M, '--max-tokens', '8', '--seed', '5'], 'Once upon a time');
  assert.equal(s1.code, 0, s1.stderr);
  assert.equal(s2.stdout, s1.stdout);
  assert.match(s1.stderr, /^jamba run: prompt \d+ tokens .* generated .* finish: (length|eos)\n$/);
});

test('run --stop ends before the stop text', async () => {
  const tm = await textModel();
  const full = (await tm.generate('Once upon a time', { maxTokens: 8, temperature: 0, ignoreEos: true }).result).text;
  const stop = full.slice(3, 5);
  const r = jamba(['run', 'Once upon a time', ...M, '--max-tokens', '8', '--temperature', '0', '--ignore-eos', '--stop', stop]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, full.slice(0, full.indexOf(stop)) + '\n');
});

test('run without --model uses the shipped model, or says it is missing (exit 2)', () => {
  const r = jamba(['run', 'Once upon a time', '--max-tokens', '4']);
  if (existsSync(join(defaultModelPath(), 'config.json'))) assert.equal(r.code, 0, r.stderr);
  else assert.equal(isUserError(r, /default model is not installed at .*models.*--model/), null);
});

test('run: every user error is one line and exit 2; --help works', () => {
  const cases: [string[], RegExp][] = [
    [['run', ...M], /missing the prompt/],
    [['run', 'a', 'b', ...M], /expected one prompt/],
    [['run', 'x', ...M, '--max-tokens', '-1'], /--max-tokens must be at least 0/],
    [['run', 'x', ...M, '--temperature', 'hot'], /--temperature must be a number/],
    [['run', 'x', ...M, '--top-p', '0'], /--top-p/],
    [['run', 'x', ...M, '--logit-bias', '12'], /--logit-bias must look like/],
    [['run', 'x', ...M, '--bogus'], /unknown flag --bogus/],
    [['run', 'x', '--model', MODEL_DIR], /no tokenizer\.json.*--tokenizer/],
    [['run', 'x', '--model', '/no/such/model'], /model not found/],
    [['run', 'x', ...M, '--ctx-size', '3'], /context is 3/],
  ];
  for (const [args, re] of cases) assert.equal(isUserError(jamba(args), re), null, args.join(' '));
  const h = jamba(['run', '--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /Usage: jamba run "<prompt>"/);
  assert.match(h.stdout, /--temperature <t>.*\(default: 0\.8\)/);
});
