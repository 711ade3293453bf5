/**
 * Small helpers shared by the benchmark's processes: flags, the deterministic prompt, a
 * synthetic long context, peak memory, emptying the caches.
 */
import { readFileSync } from 'node:fs';
import { KVCache } from '../src/memory/kv-cache.js';
import { createBackend } from '../src/backends/index.js';
import type { Backend } from '../src/backends/backend.js';
import { loadModel } from '../src/model/load.js';
import type { JambaModel } from '../src/model/jamba.js';
import { JambaUserError } from '../src/errors.js';
import { allocFloats } from '../src/memory/pages.js';
import type { SequenceMemory } from '../src/memory/sequence.js';

/** The median (of an even count, the mean of the middle two). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Value of `--name` on the command line (or undefined). */
export function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * `--name` as a whole number ≥ min (0 or 1), or `dflt` when absent; anything else ends the process
 * with one line naming the tool and the flag (exit 2), before any model is loaded.
 */
export function countFlag(tool: string, name: string, dflt: number, min: 0 | 1): number {
  const v = flag(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`${tool}: --${name} must be ${min ? 'a positive integer' : 'an integer ≥ 0'}, got '${v}'\n`);
    process.exit(2);
  }
  return n;
}

/** The benchmark prompt: n token ids drawn from a seeded generator, avoiding the first 10 (special) ids. */
export function promptIds(n: number, vocab: number, seed = 0): number[] {
  let s = (seed * 2654435761 + 7) >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(10 + (s % (vocab - 10)));
  }
  return out;
}

/**
 * Fills a sequence's memory to `context` positions synthetically: random K/V rows in every KV cache
 * (room for `ahead` more), the Mamba state as it is. Decode cost depends on how much is read per token,
 * not on the values, and a real 32K-token prefill of an all-attention model takes minutes.
 */
export function fillContext(seq: SequenceMemory, context: number, ahead: number): void {
  let s = 12345;
  for (const m of seq.layers) {
    if (!(m instanceof KVCache)) continue;
    const n = context * m.rowSize;
    m.length = 0;
    m.reserve(context + ahead); // the buffers a real prefill would have grown to (huge pages included)
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0; m.k[i] = (s / 4294967296 - 0.5) * 0.2;
      s = (Math.imul(s, 1103515245) + 12345) >>> 0; m.v[i] = (s / 4294967296 - 0.5) * 0.2;
    }
    m.length = context;
  }
  seq.length = context;
}

/**
 * Peak resident memory of this process in MB. Linux's VmHWM belongs to the address space, which exec
 * replaces, so it is this engine's alone; getrusage's maxRSS (the fallback elsewhere) survives exec and
 * would include the parent's resident set at fork time.
 */
export function peakRssMb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch { /* not Linux */ }
  return process.resourceUsage().maxRSS / 1024;
}

/**
 * The native backend on --threads (default 2) and the model at --model, for a one-model tool: exits 2
 * with `usage` when --model is missing, 1 with the message when the addon or the model cannot be loaded.
 */
export async function toolModel(tool: string, usage: string): Promise<{ be: Backend; model: JambaModel }> {
  const path = flag('model');
  if (!path) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  try {
    const be = createBackend('native', Number(flag('threads') ?? 2));
    return { be, model: await loadModel(path, be) };
  } catch (e) {
    if (!(e instanceof JambaUserError)) throw e;
    console.error(`${tool}: ${e.message}`);
    process.exit(1);
  }
}

/**
 * A function that empties the host's caches of everything else (the L3 is 300 MB here): the native
 * backend's bandwidth probe sweeps 1 GB on 2 MB pages. The buffer is allocated on first use, so memory
 * figures taken before then leave it out. Null when the backend has no probe (not the native one).
 */
export function cacheEmptier(be: Backend): (() => void) | null {
  const probe = (be as { streamSum?(x: Float32Array): number }).streamSum?.bind(be);
  if (!probe) return null;
  let sweep: Float32Array | undefined;
  return () => { probe(sweep ??= allocFloats(256 << 20).fill(1)); };
}
