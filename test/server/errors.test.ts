/**
 * Malformed and hostile requests: each gets an OpenAI error object with the right 4xx and names the
 * field; a bounded fuzz of random bodies never yields a 5xx or kills the server; a full queue answers
 * 503 with Retry-After; a client that disconnects cancels its request; timeouts answer 504; shutdown
 * finishes running requests and refuses new ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { rng } from '../../src/model/random.js';
import { MODEL_ID, post, startRig } from './helpers.js';

const chat = (extra: Record<string, unknown>) => ({ model: MODEL_ID, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2, ...extra });

test('every malformed request gets an OpenAI error with the right status', async () => {
  const rig = await startRig({ ctxSize: 64, bodyLimit: 4096 });
  try {
    const C = '/v1/chat/completions', T = '/v1/completions';
    const cases: [string, unknown, number, string | null, RegExp?][] = [
      [C, '{"model": ', 400, null, /not valid JSON/],
      [C, '', 400, null, /empty/],
      [C, '[1, 2]', 400, null, /JSON object/],
      [C, { messages: [{ role: 'user', content: 'hi' }] }, 400, 'model'],
      [C, { model: 42, messages: [] }, 400, 'model'],
      [C, chat({ model: 'gpt-4' }), 404, 'model', /does not exist/],
      [C, { model: MODEL_ID }, 400, 'messages'],
      [C, { model: MODEL_ID, messages: 'hi' }, 400, 'messages'],
      [C, { model: MODEL_ID, messages: [] }, 400, 'messages'],
      [C, { model: MODEL_ID, messages: ['hi'] }, 400, 'messages[0]'],
      [C, { model: MODEL_ID, messages: [{ role: 'wizard', content: 'x' }] }, 400, 'messages[0].role'],
      [C, { model: MODEL_ID, messages: [{ role: 'user' }] }, 400, 'messages[0].content'],
      [C, { model: MODEL_ID, messages: [{ role: 'user', content: 5 }] }, 400, 'messages[0].content'],
      [C, { model: MODEL_ID, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }, 400, 'messages[0].content[0].type'],
      [C, { model: MODEL_ID, messages: [{ role: 'tool', content: 'x' }] }, 400, 'messages[0].tool_call_id'],
      [C, chat({ n: 2 }), 400, 'n'],
      [C, chat({ max_tokens: -1 }), 400, 'max_tokens'],
      [C, chat({ max_tokens: 0 }), 400, 'max_tokens'],
      [C, chat({ max_tokens: 1.5 }), 400, 'max_tokens'],
      [C, chat({ max_tokens: '10' }), 400, 'max_tokens'],
      [C, chat({ max_completion_tokens: -3 }), 400, 'max_completion_tokens'],
      [C, chat({ temperature: 3 }), 400, 'temperature'],
      [C, chat({ temperature: 'hot' }), 400, 'temperature'],
      [C, chat({ top_p: 0 }), 400, 'top_p'],
      [C, chat({ seed: 1.5 }), 400, 'seed'],
      [C, chat({ stop: [1] }), 400, 'stop[0]'],
      [C, chat({ stop: 7 }), 400, 'stop'],
      [C, chat({ stream: 'yes' }), 400, 'stream'],
      [C, chat({ stream_options: { include_usage: true } }), 400, 'stream_options'],
      [C, chat({ top_logprobs: 3 }), 400, 'top_logprobs'],
      [C, chat({ logprobs: true, top_logprobs: 50 }), 400, 'top_logprobs'],
      [C, chat({ logit_bias: { abc: 1 } }), 400, 'logit_bias'],
      [C, chat({ logit_bias: { 999999: 1 } }), 400, 'logit_bias'],
      [C, chat({ presence_penalty: 9 }), 400, 'presence_penalty'],
      [C, chat({ response_format: { type: 'json_object' } }), 400, 'response_format', /constrained decoding/],
      [C, chat({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } } }), 400, 'response_format'],
      [C, chat({ tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: 'required' }), 400, 'tool_choice'],
      [C, chat({ tools: [{ type: 'function' }] }), 400, 'tools[0].function'],
      [C, chat({ tools: 'f' }), 400, 'tools'],
      [C, { model: MODEL_ID, messages: [{ role: 'user', content: 'x'.repeat(300) }], max_tokens: 2 }, 400, 'messages', /context/],
      [C, { model: MODEL_ID, messages: [{ role: 'user', content: 'hi' }], max_tokens: 60 }, 400, 'max_tokens', /context/],
      [C, { model: MODEL_ID, messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 60 }, 400, 'max_completion_tokens', /context/],
      [T, { model: MODEL_ID, prompt: 'hi', max_tokens: 64 }, 400, 'max_tokens', /context/],
      [C, { model: MODEL_ID, messages: [{ role: 'user', content: 'x'.repeat(5000) }] }, 413, null],
      [T, { model: MODEL_ID }, 400, 'prompt'],
      [T, { model: MODEL_ID, prompt: '' }, 400, 'prompt'],
      [T, { model: MODEL_ID, prompt: ['a', 'b'] }, 400, 'prompt'],
      [T, { model: MODEL_ID, prompt: [1, -2] }, 400, 'prompt'],
      [T, { model: MODEL_ID, prompt: [1, 600] }, 400, 'prompt', /vocabulary/],
      [T, { model: MODEL_ID, prompt: { text: 'a' } }, 400, 'prompt'],
      [T, { model: MODEL_ID, prompt: 'a', echo: true }, 400, 'echo'],
      [T, { model: MODEL_ID, prompt: 'a', best_of: 3 }, 400, 'best_of'],
      [T, { model: MODEL_ID, prompt: 'a', logprobs: 99 }, 400, 'logprobs'],
    ];
    for (const [path, body, status, param, msg] of cases) {
      const r = await post(rig.base, path, body);
      const what = `${path} ${typeof body === 'string' ? body : JSON.stringify(body).slice(0, 120)}`;
      assert.equal(r.status, status, `${what}: ${r.text}`);
      assert.equal(typeof r.json?.error?.message, 'string', what);
      assert.equal(r.json.error.type, status === 404 && param === null ? 'not_found_error' : 'invalid_request_error', what);
      if (param !== null) assert.equal(r.json.error.param, param, `${what}: ${r.text}`);
      if (msg) assert.match(r.json.error.message, msg, what);
    }
    const routes: [string, string, number][] = [['GET', '/v1/nothing', 404], ['GET', '/v1/chat/completions', 405], ['DELETE', '/v1/models', 405], ['GET', '/v1/models/other', 404]];
    for (const [method, path, status] of routes) {
      const r = await fetch(rig.base + path, { method });
      assert.equal(r.status, status, `${method} ${path}`);
      assert.equal(typeof ((await r.json()) as any).error.message, 'string');
    }
    // Still serving after all that.
    const ok = await post(rig.base, '/v1/chat/completions', chat({}));
    assert.equal(ok.status, 200, ok.text);
  } finally {
    await rig.close();
  }
});

test('a bounded fuzz of random bodies never gets a 5xx', async () => {
  const rig = await startRig({ ctxSize: 64 });
  try {
    const r = rng(2024);
    const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)]!;
    const values = (): unknown => pick<unknown>([null, true, -1, 0, 1e308, 0.5, 3, 'x', '', [], {}, [1, 'a'], { a: 1 }, -0, 2 ** 40, 'user', MODEL_ID, [{ role: 'user', content: 'hi' }]]);
    const keys = ['model', 'messages', 'prompt', 'max_tokens', 'temperature', 'top_p', 'stop', 'n', 'stream', 'stream_options', 'logprobs', 'top_logprobs', 'seed', 'tools', 'tool_choice', 'response_format', 'logit_bias', 'max_completion_tokens'];
    for (let i = 0; i < 120; i++) {
      const body: Record<string, unknown> = { model: MODEL_ID };
      for (let k = 0; k < 4; k++) body[pick(keys)] = values();
      if (r() < 0.5) body.max_tokens = 1;
      const path = pick(['/v1/chat/completions', '/v1/completions']);
      const res = await post(rig.base, path, body);
      assert.ok(res.status < 500, `${path} ${JSON.stringify(body)} → ${res.status} ${res.text}`);
      if (res.status !== 200) assert.equal(typeof res.json?.error?.message, 'string', res.text);
    }
    assert.equal((await fetch(rig.base + '/health')).status, 200);
  } finally {
    await rig.close();
  }
});

test('full queue → 503 with Retry-After; a client that disconnects cancels its request', async () => {
  const rig = await startRig({ maxActive: 1, maxQueue: 0 });
  try {
    // A long request occupies the only slot; streaming so we know when it runs. EOS is banned: a story
    // that ended within a few tokens would free the slot before the second request arrives.
    const ac = new AbortController();
    const res = await fetch(rig.base + '/v1/completions', { method: 'POST', signal: ac.signal, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model: MODEL_ID, prompt: 'Once', max_tokens: 900, stream: true, logit_bias: { 2: -100 } }) });
    const reader = res.body!.getReader();
    await reader.read();
    const busy = await post(rig.base, '/v1/completions', { model: MODEL_ID, prompt: 'Twice', max_tokens: 2 });
    assert.equal(busy.status, 503);
    assert.equal(busy.json.error.code, 'queue_full');
    assert.equal(busy.headers.get('retry-after'), '1');
    // The client walks away: its request is cancelled and the slot frees up.
    ac.abort();
    const t0 = Date.now();
    while (rig.engine.stats().running > 0 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 10));
    assert.equal(rig.engine.stats().running, 0);
    assert.equal(rig.engine.stats().finished.cancelled, 1);
    const metrics = await (await fetch(rig.base + '/metrics')).text();
    assert.match(metrics, /jamba_requests_total\{reason="cancelled"\} 1/);
    assert.match(metrics, /jamba_requests_rejected_total 1/);
  } finally {
    await rig.close();
  }
});

test('a request past its time limit gets 504, streamed or not', async () => {
  const rig = await startRig({ requestTimeoutMs: 300, ctxSize: 20_000 });
  try {
    // Greedy with EOS banned: would run for 16000 tokens, far past the limit, which ends it.
    const body = { model: MODEL_ID, prompt: 'Once', max_tokens: 16_000, temperature: 0, logit_bias: { 2: -100 } };
    const slow = await post(rig.base, '/v1/completions', body);
    assert.equal(slow.status, 504, slow.text);
    assert.equal(slow.json.error.code, 'request_timeout');
    const streamed = await post(rig.base, '/v1/completions', { ...body, stream: true });
    assert.equal(streamed.status, 200);
    assert.match(streamed.text, /"code":"request_timeout"/);
    assert.match(streamed.text, /data: \[DONE\]\n\n$/);
    assert.equal(rig.engine.stats().finished.timeout, 2);
  } finally {
    await rig.close();
  }
});

test('graceful shutdown lets running requests finish and refuses new ones', async () => {
  const rig = await startRig();
  const running = post(rig.base, '/v1/chat/completions', chat({ max_tokens: 40, temperature: 0 }));
  while (rig.engine.stats().running === 0) await new Promise((r) => setTimeout(r, 5));
  const closing = rig.server.close(5000);
  const health = await new Promise<number>((resolve) => {
    const req = request(rig.base + '/health', (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', () => resolve(-1)); // connection refused: also "not taking requests"
    req.end();
  });
  assert.ok(health === 503 || health === -1, `health during shutdown: ${health}`);
  const r = await running;
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.usage.completion_tokens, 40);
  await closing;
  await assert.rejects(fetch(rig.base + '/health'));
});
