/**
 * TextOutput, the per-request text pipeline: detokenised chunks, EOS and stop strings (never shown),
 * the held-back tail of a tool call, the chat content's leading space, and ids past the tokenizer's
 * vocabulary (a padded model vocabulary) showing as nothing instead of failing the request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextOutput } from '../../src/server/output.js';
import { fixtureTokenizer } from './helpers.js';

test('text output: stop strings, EOS, tool-call hold, leading space, unknown ids', async () => {
  const tok = await fixtureTokenizer();
  const ids = tok.encode('The cat sat. Then<tool_calls>[1]</tool_calls>', { addSpecial: false });
  const feed = (o: TextOutput, list: number[]) => list.map((id, index) => o.push({ id, index, logprob: -1, top: [{ id, logprob: -1 }] }));

  const plain = new TextOutput(tok, { eosIds: [2], stop: [] });
  const steps = feed(plain, [...ids, 2, 7]);
  assert.equal(steps.findIndex((s) => s.done), ids.length, 'EOS ends it');
  assert.equal((plain.shown + plain.close()).trimStart(), 'The cat sat. Then<tool_calls>[1]</tool_calls>');
  assert.equal(plain.stoppedBy, 'eos');
  assert.equal(plain.logprobs.length, ids.length, 'no logprob entry for the EOS token');

  const stopped = new TextOutput(tok, { eosIds: [2], stop: ['sat.'] });
  const s2 = feed(stopped, ids);
  assert.ok(s2.some((s) => s.done));
  assert.equal((stopped.shown + stopped.close()).trim(), 'The cat');
  assert.equal(stopped.stoppedBy, 'stop');

  const tools = new TextOutput(tok, { eosIds: [2], stop: [], toolOpeners: ['<tool_calls>'], trimStart: true });
  feed(tools, ids);
  tools.close();
  assert.equal(tools.shown, 'The cat sat. Then');
  assert.ok(tools.inToolCall);
  assert.match(tools.all, /<tool_calls>\[1\]<\/tool_calls>$/);

  const padded = new TextOutput(tok, { eosIds: [2], stop: [] });
  const s4 = padded.push({ id: tok.vocabSize + 5, index: 0, logprob: -2, top: [{ id: tok.vocabSize + 5, logprob: -2 }] });
  assert.equal(s4.text, '');
  assert.equal(s4.logprobs?.top[0]?.text, '');
  feed(padded, ids.slice(0, 2));
  assert.ok((padded.shown + padded.close()).length > 0);
});
