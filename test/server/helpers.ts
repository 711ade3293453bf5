/**
 * Server test rig: a JambaServer on 127.0.0.1 (ephemeral port) over the hybrid-moe reference model
 * (vocab 512) and the 512-token tokenizer fixture, plus an `openai` client pointed at it; and a
 * scripted stand-in model whose "logits" spell out a given text, to drive outputs a random model
 * would never produce (tool calls, stop strings).
 */
import { join } from 'node:path';
import OpenAI from 'openai';
import { PromptCache } from '../../src/engine/prompt-cache.js';
import { Engine, type EngineOptions } from '../../src/engine/scheduler.js';
import { SequenceMemory } from '../../src/memory/sequence.js';
import type { JambaModel, SequenceInput, ForwardOptions } from '../../src/model/jamba.js';
import { JambaServer } from '../../src/server/server.js';
import { loadTokenizer } from '../../src/tokenizer/load.js';
import type { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { smallModel } from '../engine/helpers.js';
import { REPO_ROOT } from '../helpers/reference.js';

export const TOKENIZER_DIR = join(REPO_ROOT, 'test', 'fixtures', 'server-tokenizer');
export const MODEL_ID = 'hybrid-moe';

let tok: Promise<Tokenizer> | null = null;
export function fixtureTokenizer(): Promise<Tokenizer> {
  tok ??= loadTokenizer(TOKENIZER_DIR);
  return tok;
}

export interface Rig {
  server: JambaServer;
  engine: Engine;
  tokenizer: Tokenizer;
  base: string;
  client: OpenAI;
  close(): Promise<void>;
}

export interface RigOptions extends EngineOptions {
  /** Prompt cache size in bytes (0: none; default 64 MiB). */
  cacheBytes?: number;
  requestTimeoutMs?: number;
  bodyLimit?: number;
  model?: JambaModel;
}

export async function startRig(o: RigOptions = {}): Promise<Rig> {
  const model = o.model ?? (await smallModel());
  const tokenizer = await fixtureTokenizer();
  const cacheBytes = o.cacheBytes ?? 64 << 20;
  const engine = new Engine(model, { ctxSize: 1024, ...o, cache: cacheBytes > 0 ? new PromptCache(cacheBytes) : null });
  const server = new JambaServer({
    engine, tokenizer, modelId: MODEL_ID, eosIds: [...model.config.eosTokenIds],
    requestTimeoutMs: o.requestTimeoutMs, bodyLimit: o.bodyLimit,
  });
  const addr = await server.listen(0);
  const base = `http://127.0.0.1:${addr.port}`;
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
  return { server, engine, tokenizer, base, client, close: () => server.close(2000) };
}

/** POSTs a raw body (string or JSON) and returns status, headers and parsed JSON (or text). */
export async function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: any; text: string }> {
  const r = await fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await r.text();
  let json: any = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, headers: r.headers, json, text };
}

/**
 * A stand-in JambaModel that "generates" a fixed token script after any prompt: the logits of every row
 * put all weight on script[k], where k counts the tokens fed after the prompt. Enough for the engine
 * (forward, newSequence, memoryLayout, dims, config), with an empty layer layout.
 */
export function scriptedModel(real: JambaModel, script: readonly number[]): JambaModel {
  const V = real.dims.V;
  const promptLen = new WeakMap<SequenceMemory, number>();
  const fake = {
    dims: real.dims,
    config: real.config,
    memoryLayout: () => ({ layers: [] }),
    newSequence: () => new SequenceMemory({ layers: [] }),
    forward(batch: readonly SequenceInput[], opts: ForwardOptions = {}): Float32Array {
      const out = opts.out ? opts.out.subarray(0, batch.length * V) : new Float32Array(batch.length * V);
      out.fill(0);
      batch.forEach((b, i) => {
        if (!promptLen.has(b.memory)) promptLen.set(b.memory, b.memory.length + b.tokens.length);
        b.memory.length += b.tokens.length;
        const k = b.memory.length - promptLen.get(b.memory)!;
        out[i * V + script[Math.min(k, script.length - 1)]!] = 30;
      });
      return out;
    },
  };
  return fake as unknown as JambaModel;
}
