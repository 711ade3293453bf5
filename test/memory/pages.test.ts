/**
 * Huge-page buffers (src/memory/pages.ts, allocHuge in kernels/binding.c): zero-filled, the asked
 * length, 64-byte aligned within their chunk, never overlapping each other; KV caches built on them
 * keep their rows across growth. On a machine without the addon both fall back to plain arrays, and
 * the same checks hold.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadAddon } from '../../src/backends/native/addon.js';
import { KVCache } from '../../src/memory/kv-cache.js';
import { allocBytes, allocFloats } from '../../src/memory/pages.js';

test('allocBytes: zero-filled, exact length, 64-byte aligned, disjoint', () => {
  const sizes = [10, 70_000, 300_001, 5 << 20, 17 << 20, 65_537, 1 << 20];
  const bufs = sizes.map((n) => allocBytes(n));
  bufs.forEach((b, i) => {
    assert.equal(b.byteLength, sizes[i], `length of buffer ${i}`);
    assert.equal(b.byteOffset % 64, 0, `alignment of buffer ${i}`);
    assert.ok(b.every((v) => v === 0), `buffer ${i} starts zeroed`);
  });
  bufs.forEach((b, i) => b.fill(i + 1)); // a later buffer overlapping an earlier one would overwrite its bytes
  bufs.forEach((b, i) => {
    assert.equal(b[0], i + 1, `first byte of buffer ${i}`);
    assert.equal(b[b.length - 1], i + 1, `last byte of buffer ${i}`);
  });
});

test('allocFloats and a KV cache growing on it keep every row', () => {
  const f = allocFloats(1 << 20);
  assert.equal(f.length, 1 << 20);
  assert.ok(f.every((v) => v === 0));
  const kv = new KVCache(256, 1);
  const rows = 5000; // grows 16 → 8192 positions, past the 2 MB own-buffer size
  for (let t = 0; t < rows; t++) {
    const k = new Float32Array(256).fill(t), v = new Float32Array(256).fill(-t);
    kv.append(k, v, 1);
  }
  for (const t of [0, 1, 15, 16, 2047, 2048, 4999]) {
    assert.equal(kv.k[t * 256 + 7], t, `key row ${t}`);
    assert.equal(kv.v[t * 256 + 255], -t, `value row ${t}`);
  }
  assert.equal(kv.bytes, 2 * 4 * rows * 256);
});

test('allocHuge rejects a bad size by name', { skip: loadAddon() ? false : 'native addon not built' }, () => {
  const addon = loadAddon()!;
  assert.throws(() => addon.allocHuge(0), /allocHuge: bad size 0/);
  assert.throws(() => addon.allocHuge(-5), /allocHuge: bad size -5/);
  const b = addon.allocHuge(3 << 20);
  if (b !== null) assert.equal(b.byteLength, 3 << 20); // null only where the platform has no huge pages
});
