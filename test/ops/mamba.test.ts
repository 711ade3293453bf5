/**
 * Native Mamba conv1d and selective scan against the reference: odd d_inner, several kernel widths
 * and state sizes, strided u / B / C / z rows, carried state, dt across softplus's pass-through at 20,
 * every activation and instruction set; plus chunking invariance (a sequence processed in two calls,
 * or token by token as decode does, with the carried state equals one call bit for bit).
 */
import { test } from 'node:test';
import type { Act, ConvArgs, ScanArgs } from '../../src/backends/backend.js';
import { RefBackend } from '../../src/backends/ref/index.js';
import { assertBitEqual, assertClose, forEachIsa, rand, rng, skipReason } from './helpers.js';

const ref = new RefBackend();

function convArgs(r: () => number, T: number, E: number, K: number, extra: number, bias: boolean, act: Act): ConvArgs {
  const uStride = E + extra;
  return {
    u: rand(r, T * uStride), uStride, state: rand(r, E * (K - 1)), w: rand(r, E * K), bias: bias ? rand(r, E) : null,
    T, E, K, act, out: new Float32Array(T * E),
  };
}

function scanArgs(r: () => number, T: number, E: number, N: number, act: Act): ScanArgs {
  const bcStride = 2 * N + 3, zStride = 2 * E + 1;
  const dt = rand(r, T * E, -8, 8);
  for (let i = 0; i < dt.length; i += 7) dt[i] = 20 + 4 * (r() - 0.5); // around the pass-through threshold
  const A = rand(r, E * N, -4, -0.05);
  const BC = rand(r, T * bcStride);
  return {
    u: rand(r, T * E), dt, A, B: BC, C: BC, bOffset: 3, cOffset: 3 + N, bcStride, D: rand(r, E),
    z: rand(r, T * zStride, -4, 4), zOffset: E + 1, zStride, h: rand(r, E * N, -0.5, 0.5), T, E, N, act,
    out: new Float32Array(T * E),
  };
}

test('native conv1d matches the reference and updates the state', { skip: skipReason() }, () => {
  const r = rng(30);
  forEachIsa((nb, isa) => {
    for (const [T, E, K] of [[1, 5, 4], [2, 37, 4], [3, 16, 1], [17, 33, 2], [33, 7, 5], [3, 40, 4]] as [number, number, number][])
      for (const act of ['silu', 'gelu', 'relu'] as Act[]) {
        const a = convArgs(r, T, E, K, T % 2 ? 3 : E, T !== 3, act);
        const w = { ...a, state: Float32Array.from(a.state), out: new Float32Array(a.out.length) };
        ref.conv1d(w);
        nb.conv1d(a);
        const what = `${isa} conv1d T=${T} E=${E} K=${K} ${act}`;
        assertClose(a.out, w.out, what);
        assertBitEqual(a.state, w.state, `${what} state`);
      }
  });
});

test('native scan matches the reference and updates the state', { skip: skipReason() }, () => {
  const r = rng(31);
  forEachIsa((nb, isa) => {
    for (const [T, E, N] of [[1, 7, 16], [1, 37, 16], [3, 37, 16], [17, 20, 3], [33, 33, 1], [5, 16, 24]] as [number, number, number][])
      for (const act of ['silu', 'gelu', 'relu'] as Act[]) {
        const a = scanArgs(r, T, E, N, act);
        const w = { ...a, h: Float32Array.from(a.h), out: new Float32Array(a.out.length) };
        ref.scan(w);
        nb.scan(a);
        const what = `${isa} scan T=${T} E=${E} N=${N} ${act}`;
        assertClose(a.out, w.out, what, 2e-5);
        assertClose(a.h, w.h, `${what} state`, 2e-5);
      }
  });
});

test('native conv1d and scan: two chunks with carried state equal one call bit for bit', { skip: skipReason() }, () => {
  const r = rng(32);
  const T = 21, E = 45, K = 4, N = 16, split = 8;
  forEachIsa((nb, isa) => {
    const c = convArgs(r, T, E, K, 0, true, 'silu');
    const c2 = { ...c, state: Float32Array.from(c.state), out: new Float32Array(c.out.length) };
    nb.conv1d(c);
    nb.conv1d({ ...c2, T: split, out: c2.out.subarray(0, split * E) });
    nb.conv1d({ ...c2, u: c2.u.subarray(split * E), T: T - split, out: c2.out.subarray(split * E) });
    assertBitEqual(c2.out, c.out, `${isa} conv chunks`);
    assertBitEqual(c2.state, c.state, `${isa} conv state`);

    const s = scanArgs(r, T, E, N, 'silu');
    const h0 = Float32Array.from(s.h);
    const s2 = { ...s, h: Float32Array.from(s.h), out: new Float32Array(s.out.length) };
    nb.scan(s);
    nb.scan({ ...s2, T: split, out: s2.out.subarray(0, split * E) });
    nb.scan({
      ...s2, T: T - split, u: s2.u.subarray(split * E), dt: s2.dt.subarray(split * E),
      B: s2.B.subarray(split * s2.bcStride), C: s2.C.subarray(split * s2.bcStride), z: s2.z.subarray(split * s2.zStride),
      out: s2.out.subarray(split * E),
    });
    assertBitEqual(s2.out, s.out, `${isa} scan chunks`);
    assertBitEqual(s2.h, s.h, `${isa} scan state`);

    // token by token (decode's one-token path, 16-channel chunks and the tail) equals the one call too
    const s3 = { ...s2, h: Float32Array.from(h0), out: new Float32Array(s2.out.length) };
    for (let t = 0; t < T; t++) {
      nb.scan({
        ...s3, T: 1, u: s3.u.subarray(t * E), dt: s3.dt.subarray(t * E), B: s3.B.subarray(t * s3.bcStride),
        C: s3.C.subarray(t * s3.bcStride), z: s3.z.subarray(t * s3.zStride), out: s3.out.subarray(t * E, (t + 1) * E),
      });
    }
    assertBitEqual(s3.out, s.out, `${isa} scan token by token`);
    assertBitEqual(s3.h, s.h, `${isa} scan token-by-token state`);
  });
});

test('native conv1d and scan with no new tokens (T = 0) do nothing: states unchanged, no crash', { skip: skipReason() }, () => {
  // The binding accepts T = 0; the kernels once divided by T there (a SIGFPE that killed the process).
  const r = rng(33);
  forEachIsa((nb, isa) => {
    const c = convArgs(r, 0, 37, 4, 0, true, 'silu');
    const cState = Float32Array.from(c.state);
    nb.conv1d(c);
    assertBitEqual(c.state, cState, `${isa} conv1d T=0 state`);
    const s = scanArgs(r, 0, 37, 16, 'silu');
    const h = Float32Array.from(s.h);
    nb.scan(s);
    assertBitEqual(s.h, h, `${isa} scan T=0 state`);
  });
});
