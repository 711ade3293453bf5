/** Small helpers shared by the benchmark's processes: flags, the deterministic prompt, greedy argmax, peak memory. */
import { readFileSync } from 'node:fs';

/** Value of `--name` on the command line (or undefined). */
export function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
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

export function argmax(a: Float32Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
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
