/**
 * Disk mirror of a PromptCache, so checkpoints outlive a restart (the failure of docs/peers.md §3 #4:
 * "restored" slots that silently re-prefill because checkpoints were never persisted).
 *
 * One file per checkpoint in `<dir>/<model fingerprint>/`: u32 magic 'JPC1', u32 header length, JSON
 * header {model, tokens, logits}, padding to 4 bytes, the tokens (int32), the logits (float32), then the
 * state as SequenceMemory.serialize writes it. Files are written to a temporary name and renamed, so a
 * crash never leaves half a checkpoint under a real name; operations on one file run in order. A file's
 * mtime is its recency: on start-up the newest files that fit the cache are read back, the rest removed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { rename, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SequenceMemory, type MemoryLayout } from '../memory/sequence.js';
import { PrefixHasher } from './prefix-hash.js';
import { snapshotBytes, type CacheEntry, type CacheListener, type PromptCache } from './prompt-cache.js';

const MAGIC = 0x3143504a; // 'JPC1'

export interface LoadReport {
  loaded: number;
  dropped: number;
  corrupt: number;
}

export class CacheStore implements CacheListener {
  readonly dir: string;
  private readonly pending = new Map<string, Promise<void>>();
  private readonly fingerprint: string;
  /** Errors of background writes (the cache keeps working in memory); for logs and tests. */
  readonly errors: string[] = [];

  /** `modelKey` must change whenever the weights do (a state is only valid for the model that made it). */
  constructor(root: string, private readonly layout: MemoryLayout, modelKey: string) {
    this.fingerprint = createHash('sha256').update(modelKey).update(JSON.stringify(layout)).digest('hex').slice(0, 16);
    this.dir = join(root, this.fingerprint);
    mkdirSync(this.dir, { recursive: true });
  }

  /** Reads the newest checkpoints back into `cache` (call before serving); removes those that do not fit. */
  loadInto(cache: PromptCache): LoadReport {
    const files = readdirSync(this.dir).filter((f) => f.endsWith('.jpc'))
      .map((f) => ({ f, t: statSync(join(this.dir, f)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    const report: LoadReport = { loaded: 0, dropped: 0, corrupt: 0 };
    const keep: CacheEntry[] = [];
    let bytes = 0;
    for (const { f } of files) {
      const path = join(this.dir, f);
      let e: CacheEntry;
      try {
        e = this.decode(readFileSync(path), f);
      } catch (err) {
        this.errors.push(`${path}: ${(err as Error).message}`);
        report.corrupt++;
        unlinkSync(path);
        continue;
      }
      if (bytes + e.bytes > cache.maxBytes) { report.dropped++; unlinkSync(path); continue; }
      bytes += e.bytes;
      keep.push(e);
    }
    // Oldest first, so the newest end up most recently used.
    for (const e of keep.reverse()) if (cache.adopt(e)) report.loaded++;
    cache.listener = this;
    return report;
  }

  added(e: CacheEntry): void {
    this.enqueue(e.key, async () => {
      const path = this.path(e.key);
      await writeFile(path + '.tmp', this.encode(e));
      await rename(path + '.tmp', path);
    });
  }

  removed(e: CacheEntry): void {
    this.enqueue(e.key, () => unlink(this.path(e.key)).catch(() => undefined));
  }

  touched(e: CacheEntry): void {
    const now = new Date();
    this.enqueue(e.key, () => utimes(this.path(e.key), now, now).catch(() => undefined));
  }

  /** Resolves when every write and removal issued so far is on disk. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending.values()]);
  }

  private path(key: string): string {
    return join(this.dir, key.replace(/:/g, '-') + '.jpc');
  }

  private enqueue(key: string, op: () => Promise<unknown>): void {
    const prev = this.pending.get(key) ?? Promise.resolve();
    const next = prev.then(op).then(() => undefined, (err: Error) => { this.errors.push(`${this.path(key)}: ${err.message}`); });
    this.pending.set(key, next);
    void next.then(() => { if (this.pending.get(key) === next) this.pending.delete(key); });
  }

  private encode(e: CacheEntry): Uint8Array {
    const mem = new SequenceMemory(this.layout);
    mem.restore(e.snapshot);
    const state = mem.serialize();
    const head = new TextEncoder().encode(JSON.stringify({ model: this.fingerprint, tokens: e.tokens.length, logits: e.logits?.length ?? 0 }));
    const start = 8 + head.length + ((4 - ((8 + head.length) % 4)) % 4);
    const out = new Uint8Array(start + e.tokens.byteLength + (e.logits?.byteLength ?? 0) + state.byteLength);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, MAGIC, true);
    dv.setUint32(4, head.length, true);
    out.set(head, 8);
    let o = start;
    out.set(new Uint8Array(e.tokens.buffer, e.tokens.byteOffset, e.tokens.byteLength), o); o += e.tokens.byteLength;
    if (e.logits) { out.set(new Uint8Array(e.logits.buffer, e.logits.byteOffset, e.logits.byteLength), o); o += e.logits.byteLength; }
    out.set(state, o);
    return out;
  }

  private decode(buf: Buffer, name: string): CacheEntry {
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.byteLength < 8 || dv.getUint32(0, true) !== MAGIC) throw new Error('not a prompt-cache checkpoint');
    const hl = dv.getUint32(4, true);
    if (8 + hl > bytes.byteLength) throw new Error('truncated header');
    const head = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + hl))) as { model: string; tokens: number; logits: number };
    if (head.model !== this.fingerprint) throw new Error('made by another model');
    let o = 8 + hl + ((4 - ((8 + hl) % 4)) % 4);
    const need = o + 4 * head.tokens + 4 * head.logits;
    if (need > bytes.byteLength) throw new Error('truncated data');
    const tokens = new Int32Array(bytes.slice(o, o + 4 * head.tokens).buffer); o += 4 * head.tokens;
    const logits = head.logits > 0 ? new Float32Array(bytes.slice(o, o + 4 * head.logits).buffer) : null; o += 4 * head.logits;
    const snapshot = SequenceMemory.deserialize(bytes.subarray(o), this.layout, name);
    if (snapshot.length !== tokens.length) throw new Error('state length differs from its tokens');
    const h = new PrefixHasher(tokens);
    const key = h.key(tokens.length);
    if (this.path(key) !== join(this.dir, name)) throw new Error('file name does not match its tokens');
    return { key, tokens, snapshot, logits, bytes: snapshotBytes(snapshot) + tokens.byteLength + (logits?.byteLength ?? 0) };
  }
}

/** A fingerprint of a model folder or file for CacheStore: path, size and mtime of each weight file. */
export function modelFingerprint(ref: string, config: unknown): string {
  const parts = [JSON.stringify(config)];
  if (existsSync(ref)) {
    const st = statSync(ref);
    const files = st.isDirectory() ? readdirSync(ref).filter((f) => /\.(safetensors|gguf|json)$/.test(f)).sort().map((f) => join(ref, f)) : [ref];
    for (const f of files) { const s = statSync(f); parts.push(`${f}:${s.size}:${s.mtimeMs}`); }
  } else {
    parts.push(ref);
  }
  return parts.join('\n');
}
