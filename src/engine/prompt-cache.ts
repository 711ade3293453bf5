/**
 * Prompt reuse for a hybrid model (docs/peers.md §3): a Mamba state cannot be rewound, so we keep
 * checkpoints — full SequenceMemory snapshots (conv + SSM state and the KV rows) taken at chosen
 * positions, each with the logits of its last token — keyed by the exact token prefix they cover.
 * A new request restores the longest checkpoint whose tokens are a prefix of its prompt and prefills
 * only the rest; a checkpoint covering the whole prompt needs no forward at all (its logits choose the
 * first token).
 *
 * Bounded by bytes, least recently used first out. Lookup hashes the prompt once (prefix-hash.ts) and
 * probes only lengths that some entry has; a hit is confirmed token by token. An optional store
 * (cache-store.ts) mirrors entries to disk so a restart keeps them.
 */
import type { Snapshot } from '../memory/sequence.js';
import { PrefixHasher, prefixKey } from './prefix-hash.js';

export interface CacheEntry {
  readonly key: string;
  readonly tokens: Int32Array;
  readonly snapshot: Snapshot;
  /** Logits [V] of the last token of `tokens`, when known. */
  readonly logits: Float32Array | null;
  readonly bytes: number;
}

/** Receives the cache's changes, e.g. to mirror them on disk. */
export interface CacheListener {
  added(e: CacheEntry): void;
  removed(e: CacheEntry): void;
  /** A checkpoint was used (recency). */
  touched?(e: CacheEntry): void;
}

export interface CacheStats {
  entries: number;
  bytes: number;
  maxBytes: number;
  hits: number;
  misses: number;
  hitTokens: number;
  stored: number;
  evicted: number;
}

export interface CacheHit {
  length: number;
  snapshot: Snapshot;
  logits: Float32Array | null;
}

export function snapshotBytes(s: Snapshot): number {
  let b = 0;
  for (const l of s.layers) b += l.bytes;
  return b;
}

export class PromptCache {
  /** Map order is recency order: the first entry is the least recently used. */
  private readonly entries = new Map<string, CacheEntry>();
  /** How many entries have each prefix length (to probe only those lengths). */
  private readonly lengths = new Map<number, number>();
  private total = 0;
  private readonly counters = { hits: 0, misses: 0, hitTokens: 0, stored: 0, evicted: 0 };
  listener: CacheListener | null = null;

  constructor(readonly maxBytes: number) {}

  /** True when a checkpoint for exactly these tokens is held; it becomes the most recently used. */
  refresh(tokens: ArrayLike<number>): boolean {
    const e = this.entries.get(prefixKey(tokens));
    if (e) this.touch(e);
    return e !== undefined;
  }

  /**
   * The longest checkpoint that is a prefix of `prompt`, at most `maxLength` tokens long; one without
   * logits only if it is shorter than the prompt (something must produce the next token's logits).
   */
  lookup(prompt: ArrayLike<number>, maxLength = prompt.length): CacheHit | null {
    const cands = [...this.lengths.keys()].filter((p) => p <= maxLength && p <= prompt.length).sort((a, b) => b - a);
    if (cands.length > 0) {
      const h = new PrefixHasher();
      for (let i = 0; i < cands[0]!; i++) h.push(prompt[i]!);
      for (const p of cands) {
        const e = this.entries.get(h.key(p));
        if (!e || (p === prompt.length && !e.logits) || !samePrefix(e.tokens, prompt)) continue;
        this.touch(e);
        this.counters.hits++;
        this.counters.hitTokens += p;
        return { length: p, snapshot: e.snapshot, logits: e.logits };
      }
    }
    this.counters.misses++;
    return null;
  }

  /** Stores a checkpoint (the snapshot and logits are kept, not copied); an existing one is refreshed. */
  put(tokens: ArrayLike<number>, snapshot: Snapshot, logits: Float32Array | null): CacheEntry | null {
    const key = prefixKey(tokens);
    const old = this.entries.get(key);
    if (old) { this.touch(old); return old; }
    const toks = Int32Array.from(tokens as ArrayLike<number>);
    const bytes = snapshotBytes(snapshot) + toks.byteLength + (logits?.byteLength ?? 0);
    if (bytes > this.maxBytes) return null;
    const e: CacheEntry = { key, tokens: toks, snapshot, logits, bytes };
    this.insert(e);
    this.counters.stored++;
    this.listener?.added(e);
    this.evictTo(this.maxBytes);
    return this.entries.has(key) ? e : null;
  }

  /** Adds an entry read back from disk (no listener call, no `stored` count). */
  adopt(e: CacheEntry): boolean {
    if (this.entries.has(e.key) || this.total + e.bytes > this.maxBytes) return false;
    this.insert(e);
    return true;
  }

  clear(): void {
    this.evictTo(0);
  }

  stats(): CacheStats {
    return { entries: this.entries.size, bytes: this.total, maxBytes: this.maxBytes, ...this.counters };
  }

  private insert(e: CacheEntry): void {
    this.entries.set(e.key, e);
    this.lengths.set(e.tokens.length, (this.lengths.get(e.tokens.length) ?? 0) + 1);
    this.total += e.bytes;
  }

  private touch(e: CacheEntry): void {
    this.entries.delete(e.key);
    this.entries.set(e.key, e);
    this.listener?.touched?.(e);
  }

  private evictTo(limit: number): void {
    for (const e of this.entries.values()) {
      if (this.total <= limit) break;
      this.entries.delete(e.key);
      const n = this.lengths.get(e.tokens.length)! - 1;
      if (n === 0) this.lengths.delete(e.tokens.length);
      else this.lengths.set(e.tokens.length, n);
      this.total -= e.bytes;
      this.counters.evicted++;
      this.listener?.removed(e);
    }
  }
}

function samePrefix(prefix: Int32Array, tokens: ArrayLike<number>): boolean {
  if (prefix.length > tokens.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== tokens[i]) return false;
  return true;
}
