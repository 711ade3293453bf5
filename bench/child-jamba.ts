/**
 * One benchmark run of jamba-ts in its own process (so peak memory is this engine's alone); prints one
 * JSON line. Prefill: one forward over `--prefill` prompt tokens up to the first greedy token. Decode:
 * `--decode` single-token greedy steps after it. With `--context C` the sequence's memory is first
 * filled synthetically to C positions (common.ts fillContext) instead of running a C-token prefill.
 * Without a prefill, `--warmup` untimed decode steps (default 1) come first: the first forwards pay
 * one-off costs (workspace buffers, first touch of pages, and V8 optimising the decode path's JS, which
 * takes 8-16 tokens) that a prefill would otherwise absorb; over a short timed run they made the hybrid
 * look up to 1.5x slower than it decodes.
 * With `--cold N`, N more tokens follow, each timed alone right after the bandwidth probe has swept
 * 1 GB (the host's 300 MB L3 emptied of the model's bytes): decode_cold_tokens_per_s, the rate when
 * every byte comes from DRAM, as the bytes-per-token prediction assumes (cache-probe.ts shows why
 * steady decoding can beat it). Memory figures are taken before the sweep buffer exists.
 *
 * Usage: node dist/bench/child-jamba.js --model <gguf> --threads <n> --prefill <P> --decode <D> [--warmup <W>] [--context <C>] [--cold <N>]
 */
import { createBackend } from '../src/backends/index.js';
import { loadModel } from '../src/model/load.js';
import { KVCache } from '../src/memory/kv-cache.js';
import { argmax } from '../src/generate/sampling.js'; // the engine's greedy pick, so the same loop is timed
import { cacheEmptier, countFlag, fillContext, flag, peakRssMb, promptIds } from './common.js';

const N = countFlag('child-jamba', 'cold', 0, 0); // tokens timed after a cache-emptying sweep each
const model = await loadModel(flag('model')!, createBackend('native', Number(flag('threads') ?? 2)));
const P = Number(flag('prefill') ?? 512), D = Number(flag('decode') ?? 128), C = Number(flag('context') ?? 0);
const W = Number(flag('warmup') ?? 1); // untimed decode steps when there is no prefill
const V = model.dims.V;
const seq = model.newSequence();
const logits = new Float32Array(V);
const one = [0];

if (C > 0) fillContext(seq, C, D + W + N + 1);

let tok: number;
let prefillS = 0;
const rssBefore = process.memoryUsage().rss;
if (P > 0) {
  const t0 = performance.now();
  model.forward([{ memory: seq, tokens: promptIds(P, V) }], { logits: 'last', out: logits });
  tok = argmax(logits);
  prefillS = (performance.now() - t0) / 1000;
} else {
  tok = promptIds(1, V)[0]!;
  for (let i = 0; i < W; i++) { // warm-up steps, untimed
    one[0] = tok;
    model.forward([{ memory: seq, tokens: one }], { logits: 'last', out: logits });
    tok = argmax(logits);
  }
}
const t1 = performance.now();
for (let i = 0; i < D; i++) {
  one[0] = tok;
  model.forward([{ memory: seq, tokens: one }], { logits: 'last', out: logits });
  tok = argmax(logits);
}
const decodeS = (performance.now() - t1) / 1000;
let kvBytes = 0;
for (const m of seq.layers) if (m instanceof KVCache) kvBytes += m.bytes;
const backend = model.backend as { info?: { isa: string; threads: number } };
const result: Record<string, unknown> = {
  engine: 'jamba-ts', isa: backend.info?.isa, threads: backend.info?.threads,
  prefill_tokens: P, prefill_tokens_per_s: P > 0 ? P / prefillS : null,
  decode_tokens: D, decode_tokens_per_s: D / decodeS,
  peak_rss_mb: peakRssMb(), rss_mb: Math.max(rssBefore, process.memoryUsage().rss) / 2 ** 20,
  context_tokens: C || undefined, kv_mb: kvBytes / 2 ** 20,
};
if (N > 0) {
  const empty = cacheEmptier(model.backend);
  if (!empty) { console.error('child-jamba: --cold needs the native backend (its bandwidth probe empties the caches)'); process.exit(1); }
  let coldS = 0;
  for (let i = 0; i < N; i++) {
    empty();
    one[0] = tok;
    const t = performance.now();
    model.forward([{ memory: seq, tokens: one }], { logits: 'last', out: logits });
    tok = argmax(logits);
    coldS += (performance.now() - t) / 1000;
  }
  result.decode_cold_tokens = N;
  result.decode_cold_tokens_per_s = N / coldS;
}
console.log(JSON.stringify(result));
model.backend.dispose?.();
