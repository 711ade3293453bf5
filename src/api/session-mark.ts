/**
 * A cheap rewind point for a chat session's memory. The session's memory holds the conversation's
 * tokens; the next turn's prompt usually extends them, but not always (the answer re-tokenised
 * differently, a stop string cut it, the template drops old reasoning). Attention KV rows can simply be
 * truncated (kv-cache.ts: appends never move earlier rows), but a Mamba state cannot be rewound
 * (docs/peers.md §3), so at the end of each turn's prompt the session copies the recurrent states
 * only — a few KB a layer, independent of the conversation's length. Rewinding = truncate the KV
 * caches to the mark's length and put the recurrent states back. Valid while the memory still holds the
 * mark's tokens (it only grows, or is reset, after the mark was taken).
 */
import { KVCache } from '../memory/kv-cache.js';
import { RecurrentState } from '../memory/recurrent.js';
import type { SequenceMemory } from '../memory/sequence.js';

export interface Mark {
  /** Tokens in memory when the mark was taken. */
  readonly length: number;
  /** Per layer: a copy of its recurrent state (Mamba layers), null for attention layers. */
  readonly states: readonly (RecurrentState | null)[];
}

export function markOf(mem: SequenceMemory): Mark {
  return { length: mem.length, states: mem.layers.map((l) => (l instanceof RecurrentState ? l.copy() : null)) };
}

/** Puts `mem` back to where it was when `m` was taken. */
export function rewind(mem: SequenceMemory, m: Mark): void {
  if (m.length > mem.length) throw new Error(`cannot rewind a memory of ${mem.length} tokens to ${m.length}`);
  mem.layers.forEach((l, i) => {
    const s = m.states[i];
    if (l instanceof KVCache) l.length = m.length;
    else if (s) l.copyFrom(s);
  });
  mem.length = m.length;
}

/** The mark's recurrent states as one float32 run (per Mamba layer: conv, then ssm). */
export function markFloats(m: Mark): Float32Array {
  let n = 0;
  for (const s of m.states) if (s) n += s.conv.length + s.ssm.length;
  const f = new Float32Array(n);
  let o = 0;
  for (const s of m.states) {
    if (!s) continue;
    f.set(s.conv, o); o += s.conv.length;
    f.set(s.ssm, o); o += s.ssm.length;
  }
  return f;
}

/** Reads `markFloats` back for a memory of `mem`'s layout; null if the size does not match. */
export function markFromFloats(mem: SequenceMemory, length: number, f: Float32Array): Mark | null {
  let o = 0;
  const states = mem.layers.map((l) => {
    if (!(l instanceof RecurrentState)) return null;
    const s = new RecurrentState(l.E, l.N, l.K);
    if (o + s.conv.length + s.ssm.length > f.length) { o = Infinity; return null; }
    s.conv.set(f.subarray(o, o + s.conv.length)); o += s.conv.length;
    s.ssm.set(f.subarray(o, o + s.ssm.length)); o += s.ssm.length;
    return s;
  });
  return o === f.length ? { length, states } : null;
}
