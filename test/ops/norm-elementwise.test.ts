/**
 * Native rmsNorm (strided rows), gatedAct (silu, gelu, relu; out aliasing gate), add and embed (f32,
 * f16, bf16 tables) against the reference backend, on odd sizes and every instruction set; rmsNorm
 * rows are also checked to be independent of T bit for bit. The native argmax returns the plain JS
 * loop's index.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Act } from '../../src/backends/backend.js';
import { RefBackend } from '../../src/backends/ref/index.js';
import { loadAddon } from '../../src/backends/native/addon.js';
import { argmaxLoop, argmaxRow } from '../../src/generate/greedy.js';
import type { DType } from '../../src/tensor/dtype.js';
import { assertBitEqual, assertClose, forEachIsa, nativeBackend, rand, randWeight, rng, skipReason } from './helpers.js';

const ref = new RefBackend();

test('native rmsNorm matches the reference, strided rows included', { skip: skipReason() }, () => {
  const r = rng(10);
  forEachIsa((nb, isa) => {
    for (const n of [1, 7, 33, 100, 515])
      for (const T of [1, 3, 17])
        for (const extra of [0, 5]) {
          const stride = n + extra;
          const x = rand(r, T * stride, -3, 3), w = rand(r, n, 0.5, 1.5);
          const want = rand(r, T * stride), got = Float32Array.from(want); // gaps between rows stay untouched
          ref.rmsNorm(want, x, w, T, n, 1e-6, stride);
          nb.rmsNorm(got, x, w, T, n, 1e-6, stride);
          assertClose(got, want, `${isa} rmsNorm n=${n} T=${T} stride=${stride}`);
        }
    const T = 17, n = 100;
    const x = rand(r, T * n), w = rand(r, n), all = new Float32Array(T * n), one = new Float32Array(n);
    nb.rmsNorm(all, x, w, T, n, 1e-5);
    nb.rmsNorm(one, x.subarray(9 * n, 10 * n), w, 1, n, 1e-5);
    assertBitEqual(one, all.subarray(9 * n, 10 * n), `${isa} rmsNorm row 9`);
  });
});

test('native gatedAct and add match the reference', { skip: skipReason() }, () => {
  const r = rng(11);
  forEachIsa((nb, isa) => {
    for (const act of ['silu', 'gelu', 'relu'] as Act[])
      for (const n of [1, 7, 31, 1000, 70001]) {
        // the reference's gelu loses relative accuracy below -7 (1 + erf cancels), so gelu stays in ±6
        const span = act === 'gelu' ? 6 : 12;
        const gate = rand(r, n, -span, span), up = rand(r, n);
        const want = new Float32Array(n);
        ref.gatedAct(want, gate, up, n, act);
        const got = Float32Array.from(gate);
        nb.gatedAct(got, got, up, n, act); // out aliases gate, as the interface allows
        assertClose(got, want, `${isa} gatedAct ${act} n=${n}`);
      }
    for (const n of [1, 9, 100, 70001]) {
      const x = rand(r, n), y = rand(r, n);
      const want = Float32Array.from(x), got = Float32Array.from(x);
      ref.add(want, y, n);
      nb.add(got, y, n);
      assertBitEqual(got, want, `${isa} add n=${n}`);
    }
  });
});

test('native embed decodes f32, f16 and bf16 rows exactly and rejects bad ids', { skip: skipReason() }, () => {
  const r = rng(12);
  forEachIsa((nb, isa) => {
    for (const dtype of ['f32', 'f16', 'bf16'] as DType[])
      for (const H of [1, 7, 40]) {
        const table = randWeight(r, dtype, 11, H, 1);
        const ids = Int32Array.from([3, 0, 10, 3, 7]);
        const want = new Float32Array(ids.length * H), got = new Float32Array(ids.length * H);
        ref.embed(want, ids, table);
        nb.embed(got, ids, table);
        assertBitEqual(got, want, `${isa} embed ${dtype} H=${H}`);
      }
  });
  const nb = nativeBackend()!;
  const table = randWeight(r, 'f32', 11, 4);
  assert.throws(() => nb.embed(new Float32Array(4), Int32Array.from([11]), table), /outside the vocabulary/);
  assert.throws(() => nb.embed(new Float32Array(4), Int32Array.from([-1]), table), /outside the vocabulary/);
});

test('native argmax returns the plain loop\'s index: ties, NaN, infinities, odd lengths and offsets', { skip: skipReason() }, () => {
  const r = rng(12);
  const addon = loadAddon()!;
  forEachIsa((_nb, isa) => {
    for (const n of [1, 2, 15, 16, 17, 63, 64, 65, 1000, 4097, 65539])
      for (const kind of ['random', 'ties', 'nan', 'nan-first', '-inf', 'all-nan', '+inf']) {
        const off = n % 5;
        const a = rand(r, off + n + 3, -4, 4);
        for (let i = off; i < off + n; i++) {
          if (kind === 'ties') a[i] = Math.round(a[i]!); // few distinct values: the first maximum must win
          if (kind === 'nan' && r() < 0.2) a[i] = NaN;
          if (kind === '-inf') a[i] = -Infinity;
          if (kind === 'all-nan') a[i] = NaN;
        }
        if (kind === 'nan-first') a[off] = NaN;
        if (kind === '+inf') { a[off + Math.floor(r() * n)] = Infinity; a[off + Math.floor(r() * n)] = Infinity; }
        a[off + n] = 1e30; // past the row: must not be seen
        const want = argmaxLoop(a, off, n);
        assert.equal(addon.argmax(a, off, n), want, `${isa} argmax n=${n} ${kind}`);
        assert.equal(argmaxRow(a, off, n), want, `${isa} argmaxRow n=${n} ${kind}`);
      }
  });
  assert.throws(() => addon.argmax(new Float32Array(8), 5, 10), /argmax: range \[5, 15\) outside an array of 8/);
});

test('native streamSum (the bandwidth probe) sums every value once, tail included, on every ISA', { skip: skipReason() }, () => {
  const addon = loadAddon()!;
  const n = 3 * 65536 + 37; // several pool chunks and a scalar tail
  const ones = new Float32Array(n).fill(1), r = rng(13), x = rand(r, n);
  let want = 0;
  for (let i = 0; i < n; i++) want += x[i]!;
  forEachIsa((_nb, isa) => {
    assert.equal(addon.streamSum(ones), n, `${isa} streamSum of ones`); // exact: every partial is an integer below 2^24
    assert.ok(Math.abs(addon.streamSum(x) - want) < 1e-3 * Math.sqrt(n), `${isa} streamSum of random values`);
  });
});
