/**
 * One benchmark run of llama.cpp (through node-llama-cpp, CPU build, llama.cpp's defaults: KV cache
 * F16, flash attention "auto") in its own process; prints one JSON line shaped like child-jamba's.
 * Prefill: the prompt up to the first greedy token; decode: `--decode` more greedy tokens (EOS does not
 * stop it, as jamba-ts's loop does not stop either).
 *
 * Usage: node dist/bench/child-llama.js --model <gguf> --threads <n> --prefill <P> --decode <D> --vocab <V>
 */
import { getLlama, LlamaLogLevel, type Token } from 'node-llama-cpp';
import { flag, peakRssMb, promptIds } from './common.js';

const threads = Number(flag('threads') ?? 2), P = Number(flag('prefill') ?? 512), D = Number(flag('decode') ?? 128);
const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: flag('model')! });
const ctx = await model.createContext({ contextSize: P + D + 16, batchSize: Math.max(P, 1), threads });
const seq = ctx.getSequence();
const it = seq.evaluate(promptIds(P, Number(flag('vocab'))) as Token[], { temperature: 0, yieldEogToken: true });
const t0 = performance.now();
await it.next();
const t1 = performance.now();
for (let i = 0; i < D; i++) {
  const r = await it.next();
  if (r.done) throw new Error(`llama.cpp stopped after ${i} decode tokens`);
}
const t2 = performance.now();
await it.return();
const kv = ctx.kvCacheKeyType as unknown; // a ggml_type number (1 = F16, llama.cpp's default) or a name
const kvType = typeof kv === 'number' ? ({ 0: 'f32', 1: 'f16', 8: 'q8_0' } as Record<number, string>)[kv] ?? `ggml type ${kv}` : String(kv ?? 'f16');
console.log(JSON.stringify({
  engine: 'llama.cpp', threads, kv_type: kvType, flash_attention: String(ctx.flashAttention),
  prefill_tokens: P, prefill_tokens_per_s: P / ((t1 - t0) / 1000),
  decode_tokens: D, decode_tokens_per_s: D / ((t2 - t1) / 1000),
  peak_rss_mb: peakRssMb(),
}));
await ctx.dispose();
await model.dispose();
await llama.dispose();
