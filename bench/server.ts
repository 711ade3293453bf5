/**
 * Server benchmark (not part of npm test; numbers go to docs/SERVER.md):
 *  1. total generated tokens/s with 1, 4 and 16 concurrent streaming chat requests (prompt cache off,
 *     greedy with EOS banned so every stream makes exactly --tokens tokens);
 *  2. time to first token of a follow-up chat turn after a long first turn, with prompt reuse and on a
 *     server without a prompt cache (each repetition is a new conversation, so nothing but the first
 *     turn is cached).
 * Server and `openai` client run in this process, on 127.0.0.1.
 * Usage: node dist/bench/server.js [--model <dir>] [--backend auto|native|ref] [--threads n]
 *        [--tokens 64] [--history 1500] [--reps 3] [--json <file>]
 * Without --model a deterministic random model (hidden 256, 8 layers, 1 attention + 7 Mamba, 4-expert
 * MoE every other layer, vocab 512) is written to a temporary folder; the tokenizer is the server
 * tests' fixture (test/fixtures/server-tokenizer).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { createBackend, type BackendKind } from '../src/backends/index.js';
import { PromptCache } from '../src/engine/prompt-cache.js';
import { Engine } from '../src/engine/scheduler.js';
import { loadModel } from '../src/model/load.js';
import type { JambaModel } from '../src/model/jamba.js';
import { writeRandomModel } from '../src/model/random.js';
import { JambaServer } from '../src/server/server.js';
import { loadTokenizer } from '../src/tokenizer/load.js';
import type { Tokenizer } from '../src/tokenizer/tokenizer.js';

const arg = (name: string, def?: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};

const BENCH_CONFIG = {
  model_type: 'jamba', hidden_size: 256, intermediate_size: 512, num_hidden_layers: 8,
  num_attention_heads: 8, num_key_value_heads: 2, vocab_size: 512, mamba_d_state: 16, mamba_d_conv: 4,
  mamba_expand: 2, mamba_dt_rank: 16, num_experts: 4, num_experts_per_tok: 2,
  attn_layer_period: 8, attn_layer_offset: 4, expert_layer_period: 2, expert_layer_offset: 1,
  initializer_range: 0.05, rms_norm_eps: 1e-6, max_position_embeddings: 8192,
};

const MODEL_ID = 'bench';
const BAN_EOS = { 2: -100 };

interface Rig { server: JambaServer; engine: Engine; client: OpenAI }

async function start(model: JambaModel, tok: Tokenizer, cache: boolean): Promise<Rig> {
  const engine = new Engine(model, { maxActive: 16, maxQueue: 64, ctxSize: 4096, cache: cache ? new PromptCache(512 << 20) : null });
  const server = new JambaServer({ engine, tokenizer: tok, modelId: MODEL_ID, eosIds: [...model.config.eosTokenIds], requestTimeoutMs: undefined });
  const addr = await server.listen(0);
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${addr.port}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 600_000 });
  return { server, engine, client };
}

/** Streams one chat request; returns ms to first content chunk, total ms and tokens generated. */
async function stream(rig: Rig, messages: OpenAI.Chat.ChatCompletionMessageParam[], maxTokens: number): Promise<{ ttft: number; ms: number; tokens: number; cached: number; prompt: number; text: string }> {
  const t0 = performance.now();
  const s = await rig.client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: maxTokens, temperature: 0, logit_bias: BAN_EOS, stream: true, stream_options: { include_usage: true } });
  let ttft = -1, tokens = 0, cached = 0, prompt = 0, text = '';
  for await (const c of s) {
    if (c.usage) { tokens = c.usage.completion_tokens; prompt = c.usage.prompt_tokens; cached = c.usage.prompt_tokens_details?.cached_tokens ?? 0; }
    const d = c.choices[0]?.delta;
    if (d?.content && ttft < 0) ttft = performance.now() - t0;
    text += d?.content ?? '';
  }
  return { ttft, ms: performance.now() - t0, tokens, cached, prompt, text };
}

function corpus(): string {
  const p = join(process.cwd(), '..', 'shared', 'data', 'tinystories', 'tinystories_sample.txt');
  if (existsSync(p)) return readFileSync(p, 'utf8').slice(0, 400_000);
  const words = ['the', 'little', 'dog', 'ran', 'to', 'park', 'and', 'saw', 'a', 'big', 'red', 'ball', 'she', 'was', 'happy'];
  return Array.from({ length: 80_000 }, (_, i) => words[(i * 7 + (i >> 3)) % words.length]).join(' ');
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const backendKind = (arg('backend', 'auto') as BackendKind);
  const backend = createBackend(backendKind, arg('threads') ? Number(arg('threads')) : undefined);
  let dir = arg('model');
  if (!dir) {
    dir = join(mkdtempSync(join(tmpdir(), 'jamba-bench-server-')), 'model');
    writeRandomModel(dir, BENCH_CONFIG, { seed: 3 });
  }
  const model = await loadModel(dir, backend);
  const tok = await loadTokenizer(join(process.cwd(), 'test', 'fixtures', 'server-tokenizer'));
  const nTok = Number(arg('tokens', '64'));
  const history = Number(arg('history', '1500'));
  const reps = Number(arg('reps', '3'));
  const text = corpus();
  const result: Record<string, unknown> = { backend: backend.name, model: arg('model') ?? BENCH_CONFIG, tokensPerStream: nTok };

  // 1. Throughput at 1, 4, 16 concurrent streams.
  const rig = await start(model, tok, false);
  await stream(rig, [{ role: 'user', content: 'warm up' }], 4);
  const throughput: Record<string, unknown>[] = [];
  for (const c of [1, 4, 16]) {
    const s0 = rig.engine.stats();
    const t0 = performance.now();
    const runs = await Promise.all(Array.from({ length: c }, (_, i) => stream(rig, [{ role: 'user', content: text.slice(i * 150, i * 150 + 120) }], nTok)));
    const wall = (performance.now() - t0) / 1000;
    const s1 = rig.engine.stats();
    const gen = runs.reduce((a, r) => a + r.tokens, 0);
    throughput.push({
      streams: c, wallSeconds: wall, generatedTokens: gen, tokensPerSecond: gen / wall,
      prefillTokens: s1.prefilledTokens - s0.prefilledTokens, steps: s1.steps - s0.steps,
      meanTtftMs: runs.reduce((a, r) => a + r.ttft, 0) / c,
      perStreamTokensPerSecond: runs.reduce((a, r) => a + r.tokens / (r.ms / 1000), 0) / c,
    });
  }
  await rig.server.close();
  result.throughput = throughput;

  // 2. Follow-up turn TTFT, with and without prompt reuse.
  const withCache = await start(model, tok, true);
  const noCache = await start(model, tok, false);
  const charsPerToken = text.slice(0, 4000).length / tok.encode(text.slice(0, 4000), { addSpecial: false }).length;
  const followUp: Record<string, number[]> = { reuseMs: [], noReuseMs: [], cachedTokens: [], promptTokens: [] };
  for (let r = 0; r < reps; r++) {
    const start0 = 10_000 + r * 20_000;
    const sys = text.slice(start0, start0 + Math.round(history * charsPerToken));
    const turn1: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'system', content: sys }, { role: 'user', content: 'Tell me what happened next.' }];
    const first = await stream(withCache, turn1, 32);
    const turn2: OpenAI.Chat.ChatCompletionMessageParam[] = [...turn1, { role: 'assistant', content: first.text }, { role: 'user', content: 'And then?' }];
    const a = await stream(withCache, turn2, 8);
    const b = await stream(noCache, turn2, 8);
    followUp.reuseMs!.push(a.ttft);
    followUp.noReuseMs!.push(b.ttft);
    followUp.cachedTokens!.push(a.cached);
    followUp.promptTokens!.push(a.prompt);
  }
  await withCache.server.close();
  await noCache.server.close();
  result.followUp = {
    historyTokens: history, reps,
    ttftWithReuseMs: median(followUp.reuseMs!), ttftWithoutReuseMs: median(followUp.noReuseMs!),
    promptTokens: followUp.promptTokens, cachedTokens: followUp.cachedTokens, all: followUp,
  };

  console.log(`backend ${backend.name}, ${nTok} tokens per stream`);
  console.log('streams  tokens/s  per-stream tok/s  mean TTFT ms  steps');
  for (const t of throughput) {
    console.log(`${String(t.streams).padStart(7)}  ${(t.tokensPerSecond as number).toFixed(1).padStart(8)}  ${(t.perStreamTokensPerSecond as number).toFixed(1).padStart(16)}  ${(t.meanTtftMs as number).toFixed(1).padStart(12)}  ${t.steps}`);
  }
  const f = result.followUp as Record<string, unknown>;
  console.log(`follow-up TTFT after ~${history} tokens of history: ${(f.ttftWithReuseMs as number).toFixed(1)} ms with reuse (cached ${followUp.cachedTokens!.join(', ')} of ${followUp.promptTokens!.join(', ')} prompt tokens), ${(f.ttftWithoutReuseMs as number).toFixed(1)} ms without`);
  const out = arg('json');
  if (out) writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
}

await main();
