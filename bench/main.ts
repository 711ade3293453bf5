/**
 * `npm run bench -- --json <file>`: jamba-ts against llama.cpp on the same GGUF files, and the hybrid
 * against an all-attention model at long context (issue 3 item 4). Not part of `npm test`.
 *
 *  a. Peer: bench-small (models.ts) per weight type, prefill 512 + 128 greedy decode tokens, 2 threads;
 *     engines alternate, each run in its own child process; each row is the median of --runs (≥ 3).
 *     Rows also carry bytes_per_token_mb (bytes.ts), read_bandwidth_gb_s (the probe, median of its
 *     readings taken before each of the type's runs) and bandwidth_fraction = decode tok/s × bytes per
 *     token ÷ that bandwidth.
 *  b. Long context: bench-small vs bench-small-attn on jamba-ts, decode tokens/s and memory after
 *     contexts of 1K, 4K, 16K and 32K tokens (filled synthetically, see child-jamba.ts), f32 and the
 *     smallest type, 128 timed tokens after 32 untimed ones, each row the median of --long-runs (7);
 *     rows carry context_tokens and kv_mb, and the ratio predicted from bytes per token. Each run
 *     also times 16 tokens with the L3 emptied before each (decode_cold_tokens_per_s): the prediction
 *     charges every byte at the DRAM rate, which steady decoding beats when a model's token fits the
 *     L3, so the ratio is reported both ways (measured_ratio, measured_cold_ratio). The rows carry
 *     bandwidth_fraction and cold_bandwidth_fraction against the probe read before each of their runs.
 *  c. --quick: a 4-layer model, short prompt, one run, under a minute once the models are cached.
 * Also measured: memory read bandwidth (streamSum) and the native matmul peak, the two physical limits
 * docs/PERFORMANCE.md compares against. Writes the JSON, a table on stdout and an SVG plot.
 *
 * Flags: --json <file> [--svg <file>] [--quick] [--types f32,f16,bf16,q8_0,q4_k_m] [--long-types f32,q4_k_m]
 *        [--runs n] [--long-runs n] [--threads n] [--cache <dir>] [--skip-peer] [--skip-long]
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONVERT_TYPES, isConvertType, type ConvertType } from '../src/io/convert-types.js';
import { loadNativeBackend } from '../src/backends/native/index.js';
import { allocFloats } from '../src/memory/pages.js';
import { f32Weight } from '../src/tensor/weight.js';
import { benchGguf, type BenchModel } from './models.js';
import { bytesPerToken, modelBytes } from './bytes.js';
import { svg, type Row } from './plot.js';
import { countFlag, flag, median } from './common.js';

const HELP = `usage: npm run bench -- --json <file> [--svg <file>] [--quick] [--types f32,f16,bf16,q8_0,q4_k_m]
                   [--long-types f32,q4_k_m] [--runs n] [--long-runs n] [--threads n] [--cache <dir>] [--skip-peer] [--skip-long]`;
const VALUE_FLAGS = ['json', 'svg', 'types', 'long-types', 'runs', 'long-runs', 'threads', 'cache'], SWITCHES = ['quick', 'skip-peer', 'skip-long'];
/** A bad flag ends the run with one line naming it (no stack trace). */
function usage(msg: string): never {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(2);
}
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i]!;
  if (a === '--help' || a === '-h') { process.stdout.write(HELP + '\n'); process.exit(0); }
  if (!a.startsWith('--')) usage(`unexpected argument '${a}' (--help lists the flags)`);
  if (VALUE_FLAGS.includes(a.slice(2))) {
    if (i + 1 >= process.argv.length || process.argv[i + 1]!.startsWith('--')) usage(`${a} needs a value`);
    i++;
  } else if (!SWITCHES.includes(a.slice(2))) usage(`unknown flag '${a}' (--help lists the flags)`);
}
const quick = process.argv.includes('--quick');
const jsonPath = flag('json');
const svgPath = flag('svg') ?? (jsonPath ? jsonPath.replace(/\.json$/, '') + '.svg' : undefined);
function typeList(name: string, dflt: string): ConvertType[] {
  const v = flag(name) ?? dflt;
  for (const t of v.split(',')) if (!isConvertType(t)) usage(`--${name}: unknown weight type '${t}' (one of ${CONVERT_TYPES.join(', ')})`);
  return v.split(',') as ConvertType[];
}
const threads = countFlag('bench', 'threads', 2, 1);
const runs = countFlag('bench', 'runs', quick ? 1 : 3, 1);
/* long-context rows: more runs (and tokens) than the peer rows by default; each ratio rests on two
 * medians, and the host's swings move single runs by up to 1.5x, on a scale of seconds */
const longRuns = countFlag('bench', 'long-runs', quick ? 1 : 7, 1);
const types = typeList('types', quick ? 'f32,q8_0' : 'f32,f16,bf16,q8_0,q4_k_m');
const longTypes = typeList('long-types', quick ? 'q8_0' : 'f32,q4_k_m');
const cache = flag('cache') ?? join(tmpdir(), 'jamba-ts-bench');
const P = quick ? 64 : 512, D = quick ? 16 : 128;
const contexts = quick ? [256, 1024] : [1024, 4096, 16384, 32768];
const longDecode = quick ? 8 : 128;
/* long-context tokens timed again, each after a 1 GB sweep that empties the L3 (child-jamba.ts --cold) */
const longCold = quick ? 4 : 16;
/* untimed decode steps before a long-context run's timed ones: V8 optimises the decode path's JS over
 * the first 8-16 tokens, and until then a token of the hybrid (more JS per layer) took up to 1.5x as long */
const longWarmup = quick ? 2 : 32;
const vocab = quick ? 8192 : 65536;
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

interface RunResult { [k: string]: unknown; prefill_tokens_per_s: number | null; decode_tokens_per_s: number; peak_rss_mb: number }

function child(script: string, args: string[]): RunResult | null {
  const r = spawnSync(process.execPath, [here(script), ...args], { encoding: 'utf8', timeout: 30 * 60_000, maxBuffer: 1 << 24 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as RunResult;
  } catch {
    log(`${script} ${args.join(' ')} failed (status ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return null;
  }
}


/** One output row: the median of each measured number over the runs, other fields from the first run. */
function aggregate(base: Record<string, unknown>, rs: RunResult[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base, ...rs[0], ...base };
  for (const k of ['prefill_tokens_per_s', 'decode_tokens_per_s', 'decode_cold_tokens_per_s', 'peak_rss_mb', 'rss_mb', 'kv_mb']) {
    const v = rs.map((r) => r[k]).filter((x): x is number => typeof x === 'number');
    if (v.length) out[k] = Math.round(median(v) * 100) / 100;
  }
  out.runs = rs.length;
  return out;
}

const nb = loadNativeBackend(threads) ?? usage('the native addon is not built (npm run build:native)');
// 128 / 512 MB (past the L3), on 2 MB pages like the weights: on 4 KB pages this probe reads ~15 % slower
const probeBuf = allocFloats((quick ? 128 : 512) * 2 ** 18).fill(1);

/** Read bandwidth now (GB/s, median of 5 sweeps): taken before every peer run too, since this host's varies by 2× within minutes. */
function readBandwidth(): number {
  const bw: number[] = [];
  for (let i = 0; i < 5; i++) { const t = performance.now(); nb.streamSum(probeBuf); bw.push(probeBuf.byteLength / ((performance.now() - t) / 1000) / 1e9); }
  return median(bw);
}

/** Bytes read per token by a bench model (models.ts: 2 of 16 experts, KV rows of 2 heads × 64). */
const benchBytes = (gguf: string) => modelBytes(gguf, 2, 16, 2 * 64);

function probes(): Record<string, unknown> {
  const bw = readBandwidth();
  const rows = 1024, cols = 1024, T = 256;
  const w = f32Weight('w', [rows, cols], new Float32Array(rows * cols).fill(0.01));
  const xin = new Float32Array(T * cols).fill(0.5), y = new Float32Array(T * rows);
  const gf: number[] = [];
  for (let i = 0; i < 5; i++) { const t = performance.now(); nb.matmul(y, xin, w, T); gf.push((2 * rows * cols * T) / ((performance.now() - t) / 1000) / 1e9); }
  return { isa: nb.info.isa, threads, read_bandwidth_gb_s: Math.round(bw * 10) / 10, matmul_f32_gflop_s: Math.round(median(gf) * 10) / 10 };
}

const results: Record<string, unknown>[] = [];
const machine: Record<string, unknown> = { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, load_average_at_start: loadavg(), ...probes() };
log(`machine: ${JSON.stringify(machine)}`);

if (!process.argv.includes('--skip-peer')) {
  for (const type of types) {
    const gguf = await benchGguf(cache, 'bench-small', type, quick, log);
    const got: Record<string, RunResult[]> = { 'jamba-ts': [], 'llama.cpp': [] };
    const bws: number[] = [];
    for (let r = 0; r < runs; r++) {
      for (const engine of r % 2 ? ['llama.cpp', 'jamba-ts'] : ['jamba-ts', 'llama.cpp']) {
        bws.push(readBandwidth());
        const args = ['--model', gguf, '--threads', String(threads), '--prefill', String(P), '--decode', String(D), '--vocab', String(vocab)];
        const res = child(engine === 'jamba-ts' ? 'child-jamba.js' : 'child-llama.js', args);
        log(`${type} ${engine} run ${r + 1}: ${res ? `prefill ${res.prefill_tokens_per_s?.toFixed(1)} tok/s, decode ${res.decode_tokens_per_s.toFixed(1)} tok/s, peak ${res.peak_rss_mb.toFixed(0)} MB` : 'failed'}`);
        if (res) got[engine]!.push(res);
      }
    }
    // decode's distance to the bandwidth limit, against the bandwidth measured around these runs
    const bw = median(bws), perToken = bytesPerToken(benchBytes(gguf), P + D / 2);
    for (const engine of ['jamba-ts', 'llama.cpp']) {
      if (!got[engine]!.length) continue;
      const row = aggregate({ engine, model: 'bench-small', weights: type, threads }, got[engine]!);
      row.read_bandwidth_gb_s = Math.round(bw * 10) / 10;
      row.bytes_per_token_mb = Math.round((perToken / 2 ** 20) * 10) / 10;
      row.bandwidth_fraction = Math.round((Number(row.decode_tokens_per_s) * perToken) / (bw * 1e9) * 100) / 100;
      results.push(row);
    }
  }
}

const predictions: Record<string, unknown>[] = [];
if (!process.argv.includes('--skip-long')) {
  for (const type of longTypes) {
    const paths: Record<string, string> = {};
    for (const m of ['bench-small', 'bench-small-attn'] as BenchModel[]) paths[m] = await benchGguf(cache, m, type, quick, log);
    const bytes = Object.fromEntries(Object.entries(paths).map(([m, p]) => [m, benchBytes(p)]));
    for (const C of contexts) {
      const perToken = Object.fromEntries(Object.entries(bytes).map(([m, b]) => [m, bytesPerToken(b, C)]));
      const got: Record<string, RunResult[]> = { 'bench-small': [], 'bench-small-attn': [] };
      const bws: number[] = [];
      for (let r = 0; r < longRuns; r++) {
        for (const m of (r % 2 ? ['bench-small-attn', 'bench-small'] : ['bench-small', 'bench-small-attn']) as BenchModel[]) {
          bws.push(readBandwidth());
          const res = child('child-jamba.js', ['--model', paths[m]!, '--threads', String(threads), '--prefill', '0', '--decode', String(longDecode), '--warmup', String(longWarmup), '--context', String(C), '--cold', String(longCold)]);
          log(`${type} ${m} context ${C} run ${r + 1}: ${res ? `decode ${res.decode_tokens_per_s.toFixed(1)} tok/s (${Number(res.decode_cold_tokens_per_s).toFixed(1)} cold), kv ${Number(res.kv_mb).toFixed(0)} MB, peak ${res.peak_rss_mb.toFixed(0)} MB` : 'failed'}`);
          if (res) got[m]!.push(res);
        }
      }
      const rows: Record<string, Record<string, unknown>> = {};
      for (const m of ['bench-small', 'bench-small-attn']) {
        if (!got[m]!.length) continue;
        const row = aggregate({ engine: 'jamba-ts', model: m, weights: type, threads, context_tokens: C, prefill_tokens: 0, prefill_tokens_per_s: null }, got[m]!);
        // the distance to the bandwidth limit, steady and with every byte from DRAM
        const bw = median(bws);
        row.read_bandwidth_gb_s = Math.round(bw * 10) / 10;
        row.bytes_per_token_mb = Math.round((perToken[m]! / 2 ** 20) * 10) / 10;
        row.bandwidth_fraction = Math.round((Number(row.decode_tokens_per_s) * perToken[m]!) / (bw * 1e9) * 100) / 100;
        row.cold_bandwidth_fraction = Math.round((Number(row.decode_cold_tokens_per_s) * perToken[m]!) / (bw * 1e9) * 100) / 100;
        rows[m] = row;
        results.push(row);
      }
      if (rows['bench-small'] && rows['bench-small-attn']) {
        const measured = Number(rows['bench-small']!.decode_tokens_per_s) / Number(rows['bench-small-attn']!.decode_tokens_per_s);
        const cold = Number(rows['bench-small']!.decode_cold_tokens_per_s) / Number(rows['bench-small-attn']!.decode_cold_tokens_per_s);
        const predicted = perToken['bench-small-attn']! / perToken['bench-small']!;
        predictions.push({
          weights: type, context_tokens: C, measured_ratio: Math.round(measured * 100) / 100, predicted_ratio: Math.round(predicted * 100) / 100,
          within_10_percent: Math.abs(measured / predicted - 1) <= 0.1,
          // the same ratio with every byte from DRAM, the prediction's own assumption
          measured_cold_ratio: Math.round(cold * 100) / 100, cold_within_10_percent: Math.abs(cold / predicted - 1) <= 0.1,
          kv_ratio: Math.round((Number(rows['bench-small-attn']!.kv_mb) / Number(rows['bench-small']!.kv_mb)) * 100) / 100,
          bytes_per_token_mb: { 'bench-small': perToken['bench-small']! / 2 ** 20, 'bench-small-attn': perToken['bench-small-attn']! / 2 ** 20 },
        });
      }
    }
  }
}

// ---- report ----
const fmt = (v: unknown, d = 1) => (typeof v === 'number' ? v.toFixed(d) : v === null || v === undefined ? '-' : String(v));
const cols = ['engine', 'model', 'weights', 'context_tokens', 'prefill_tokens_per_s', 'decode_tokens_per_s', 'peak_rss_mb', 'kv_mb', 'runs'];
const table = [cols, ...results.map((r) => cols.map((c) => fmt(r[c])))];
const widths = cols.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
for (const row of table) console.log(row.map((c, i) => c.padStart(widths[i]!)).join('  '));
for (const type of types) {
  const j = results.find((r) => r.engine === 'jamba-ts' && r.weights === type && r.context_tokens === undefined);
  const l = results.find((r) => r.engine === 'llama.cpp' && r.weights === type);
  if (j && l) {
    console.log(`${type}: jamba-ts / llama.cpp = prefill ${fmt(Number(j.prefill_tokens_per_s) / Number(l.prefill_tokens_per_s), 2)}x, decode ${fmt(Number(j.decode_tokens_per_s) / Number(l.decode_tokens_per_s), 2)}x; ` +
      `decode at ${fmt(100 * Number(j.bandwidth_fraction), 0)} % / ${fmt(100 * Number(l.bandwidth_fraction), 0)} % of the ${fmt(j.read_bandwidth_gb_s)} GB/s read bandwidth (${fmt(j.bytes_per_token_mb)} MiB per token)`);
  }
}
for (const p of predictions) console.log(`long context ${p.weights} @${p.context_tokens}: hybrid / all-attention decode = ${p.measured_ratio}x measured (${p.measured_cold_ratio}x with the L3 emptied before each token), ${p.predicted_ratio}x predicted from bytes per token, KV ${p.kv_ratio}x smaller`);
machine.load_average_at_end = loadavg();
const out = { machine, settings: { quick, threads, runs, long_runs: longRuns, prefill_tokens: P, decode_tokens: D, contexts, long_decode_tokens: longDecode, long_warmup_tokens: longWarmup, long_cold_tokens: longCold }, results, long_context_ratios: predictions };
if (jsonPath) { writeFileSync(jsonPath, JSON.stringify(out, null, 2) + '\n'); log(`wrote ${jsonPath}`); }
if (svgPath) { writeFileSync(svgPath, svg(results as unknown as Row[])); log(`wrote ${svgPath}`); }
