/**
 * ChatSession: a turn prefills only what is new, save → load → continue gives the same tokens as never
 * stopping, cancellation and reset keep the session usable, saved files are checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chatPrompt } from '../../src/api/chat.js';
import type { ChatResult } from '../../src/api/chat.js';
import type { ChatSession } from '../../src/api/session.js';
import { loadTextModel, TextModel } from '../../src/api/text-model.js';
import { JambaUserError } from '../../src/errors.js';
import type { SequenceInput } from '../../src/model/jamba.js';
import { referenceDir } from '../helpers/reference.js';
import { textModel, tmp, TOKENIZER_DIR } from './helpers.js';

/** A template whose assistant content follows the generation prompt directly (no space between). */
const PLAIN = '{% for m in messages %}<|bom|><|{{ m.role }}|>{{ m.content }}<|eom|>{% endfor %}{% if add_generation_prompt %}<|bom|><|assistant|>{% endif %}';

/** Counts the tokens that go through model.forward while `fn` runs. */
async function forwarded<T>(tm: TextModel, fn: () => Promise<T>): Promise<{ value: T; tokens: number }> {
  const orig = tm.model.forward.bind(tm.model);
  let tokens = 0;
  tm.model.forward = (b: readonly SequenceInput[], o) => { for (const s of b) tokens += s.tokens.length; return orig(b, o); };
  try {
    return { value: await fn(), tokens };
  } finally {
    tm.model.forward = orig;
  }
}

test('the second turn prefills only its new tokens; a stateless chat of the same conversation prefills all of it', async () => {
  const tm = await textModel();
  const s = tm.session({ system: 'Be brief.', seed: 1, maxTokens: 8, ignoreEos: true });
  const r1 = await s.send('Hello').result;
  assert.deepEqual([r1.cachedTokens, r1.prefilledTokens], [0, r1.promptTokens]);
  const { value: r2, tokens } = await forwarded(tm, () => s.send('Tell me more').result);
  const conv = s.messages.slice(0, -1);
  assert.equal(r2.promptTokens, chatPrompt(tm, conv, {}).ids.length, 'the prompt is the whole conversation, rendered');
  assert.ok(r2.cachedTokens >= r1.promptTokens, `reused ${r2.cachedTokens} < ${r1.promptTokens}`);
  assert.equal(r2.prefilledTokens, r2.promptTokens - r2.cachedTokens);
  assert.equal(tokens, r2.prefilledTokens + r2.tokens.length - 1, 'the model saw only the new prompt tokens and the decode steps');
  const fresh = await tm.chat(conv, { maxTokens: 1 }).result;
  assert.deepEqual([fresh.promptTokens, fresh.prefilledTokens], [r2.promptTokens, r2.promptTokens]);
});

test('when the answer re-tokenises the same, its tokens are reused too (nothing prefilled twice)', async () => {
  const base = await textModel();
  const tm = new TextModel(base.model, base.tokenizer, 'plain', { chatTemplate: PLAIN });
  const the = tm.encode('the', false)[0]!;
  const s = tm.session({ maxTokens: 4, seed: 2 });
  const r1 = await s.send('Hi', { logitBias: { [the]: 100 } }).result;
  assert.deepEqual(r1.tokens, [the, the, the, the]);
  const r2 = await s.send('Again').result;
  assert.equal(r2.cachedTokens, r1.promptTokens + 3); // all but the last answer token, which was never fed
});

async function turns(s: ChatSession, msgs: string[]): Promise<ChatResult[]> {
  const out: ChatResult[] = [];
  for (const m of msgs) out.push(await s.send(m).result);
  return out;
}

/**
 * Two ways a turn continues from the saved state: with the Jamba 1.5 template (a space after
 * <|assistant|> that the model did not write) the answer never re-tokenises the same, so the turn
 * rewinds to the saved mark; with PLAIN and answers forced to "the the …" it continues from the whole
 * saved state. Raw logprobs are compared too: they move with any change in the state.
 */
const CASES = [
  { name: 'Jamba 1.5 template, rewind mark', tpl: undefined, force: false },
  { name: 'plain template, whole state', tpl: PLAIN, force: true },
] as const;

for (const { name, tpl, force } of CASES) {
  test(`save → load → continue gives the same tokens as never stopping (${name})`, async () => {
    const base = await textModel();
    const tm = tpl ? new TextModel(base.model, base.tokenizer, 'plain', { chatTemplate: tpl }) : base;
    const bias = force ? { logitBias: { [tm.encode('the', false)[0]!]: 100 } } : {};
    const opts = { system: 'You tell stories.', seed: 42, maxTokens: 10, topK: 100, ignoreEos: true, logprobs: true, ...bias };
    const dir = tmp();
    const a = tm.session(opts);
    const [a1, a2] = await turns(a, ['Hello', 'Tell me a story']);
    a.save(join(dir, 'after2.jses'));
    const [a3] = await turns(a, ['And then?']);

    const b = tm.session(opts);
    const [b1] = await turns(b, ['Hello']);
    assert.deepEqual(b1!.tokens, a1!.tokens);
    b.save(join(dir, 'after1.jses'));
    const c = tm.loadSession(join(dir, 'after1.jses'));
    assert.deepEqual(c.messages, b.messages);
    assert.deepEqual(c.tokens, b.tokens);
    const [c2, c3] = await turns(c, ['Tell me a story', 'And then?']);
    assert.deepEqual([c2!.tokens, c3!.tokens], [a2!.tokens, a3!.tokens]);
    assert.deepEqual([c2!.text, c3!.text], [a2!.text, a3!.text]);
    assert.deepEqual([c2!.logprobs, c3!.logprobs], [a2!.logprobs, a3!.logprobs], 'the same numbers, not only the same draws');
    assert.equal(c2!.cachedTokens, force ? b1!.promptTokens + 9 : b1!.promptTokens, 'the loaded session reuses its saved state');
    assert.equal(c2!.cachedTokens, a2!.cachedTokens);
    assert.deepEqual(c.messages, a.messages);
    assert.deepEqual(c.tokens, a.tokens);

    const d = tm.loadSession(join(dir, 'after2.jses'));
    const [d3] = await turns(d, ['And then?']);
    assert.deepEqual([d3!.tokens, d3!.logprobs], [a3!.tokens, a3!.logprobs]);
    assert.equal(d3!.prefilledTokens, a3!.prefilledTokens);
  });
}

test('a cancelled answer is kept as far as it got, and the session goes on; reset starts over; one turn at a time', async () => {
  const tm = await textModel();
  const s = tm.session({ system: 'sys', seed: 3, maxTokens: 30, ignoreEos: true });
  const ac = new AbortController();
  const g = s.send('Hello', { signal: ac.signal });
  let n = 0;
  for await (const _ of g) if (++n === 2) ac.abort();
  const r = await g.result;
  assert.equal(r.finishReason, 'cancelled');
  assert.equal(s.messages.length, 3);
  assert.equal(s.messages[2]!.content, r.content);
  assert.equal(s.tokens.length, r.promptTokens + r.tokens.length - 1);
  const r2 = await s.send('Go on', { maxTokens: 3 }).result;
  assert.ok(r2.cachedTokens >= r.promptTokens);

  const busy = s.send('one', { maxTokens: 3 });
  const it = busy[Symbol.asyncIterator]();
  const first = it.next();
  await assert.rejects(s.send('two').result, /one turn at a time/);
  await first;
  for (;;) if ((await it.next()).done) break;
  assert.equal((await busy.result).finishReason, 'length');

  s.reset();
  assert.deepEqual([s.messages, s.tokens.length], [[{ role: 'system', content: 'sys' }], 0]);
  const r3 = await s.send('Hello', { maxTokens: 2 }).result;
  assert.equal(r3.cachedTokens, 0);
});

test('loading checks the file: not a session, truncated, another model → one-line user errors', async () => {
  const tm = await textModel();
  const dir = tmp();
  const s = tm.session({ seed: 1, maxTokens: 3 });
  await s.send('Hi').result;
  const good = join(dir, 'good.jses');
  s.save(good);
  writeFileSync(join(dir, 'text.jses'), 'hello');
  const bytes = readFileSync(good);
  writeFileSync(join(dir, 'short.jses'), bytes.subarray(0, bytes.length - 10));
  const expectUserError = (f: () => unknown, re: RegExp): void => assert.throws(f, (e: Error) => e instanceof JambaUserError && re.test(e.message) && !e.message.includes('\n'));
  expectUserError(() => tm.loadSession(join(dir, 'text.jses')), /not a jamba-ts chat session/);
  expectUserError(() => tm.loadSession(join(dir, 'short.jses')), /truncated/);
  expectUserError(() => tm.loadSession(join(dir, 'missing.jses')), /cannot read/);
  expectUserError(() => s.save(join(dir, 'no', 'such', 'dir.jses')), /cannot write/);
  const other = await loadTextModel(referenceDir('dense-tied'), { tokenizer: TOKENIZER_DIR, backend: 'ref' });
  expectUserError(() => other.loadSession(good), /different model/);
});
