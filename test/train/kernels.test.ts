/**
 * The C training kernels (kernels/train/: scan, attention and conv forward/backward, cross-entropy,
 * linear backward products, SiLU gate, RMSNorm, AdamW) against the TypeScript
 * ops they mirror, in float32 on odd shapes. Where the addon is not built, the float32 arrays take the
 * TypeScript path and the comparison holds trivially; the test reports which path ran.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configureTrainKernels, trainAddon } from '../../src/train/native.js';
import { attnBwd, attnFwd } from '../../src/train/ops/attention.js';
import { convBwd, convFwd } from '../../src/train/ops/conv.js';
import { crossEntropy } from '../../src/train/ops/loss.js';
import { actBwd, actFwd, gluBwd, gluFwd } from '../../src/train/ops/elementwise.js';
import { linearBwd, useMatmulBackend } from '../../src/train/ops/linear.js';
import { scanBwd, scanFwd } from '../../src/train/ops/scan.js';
import { rmsBwd, rmsFwd, rows } from '../../src/train/ops/rmsnorm.js';
import { AdamW } from '../../src/train/optim.js';
import { ParamSet } from '../../src/train/params.js';
import { maxAbsDiff } from '../helpers/reference.js';
import { fill, randn, randomizeParams, tinyConfig } from './helpers.js';

const f32 = (n: number) => new Float32Array(n);

function both<T>(f: () => T): [T, T] {
  configureTrainKernels({ enabled: false });
  const ts = f();
  configureTrainKernels({ enabled: true, threads: 3 });
  try { return [ts, f()]; } finally { configureTrainKernels({ threads: 2 }); }
}

test(`scan kernels = TypeScript scan (${trainAddon() ? 'native addon loaded' : 'addon not built: TypeScript on both sides'})`, () => {
  // CI builds the addon (binding.gyp target jamba_train): there the comparison must really run the C kernels.
  if (process.env.JAMBA_REQUIRE_NATIVE === '1') assert.ok(trainAddon(), 'the training kernels addon (build/Release/jamba_train.node) did not load');
  const g = randn(21);
  const B = 3, T = 7, E = 11, N = 5, M = B * T, s = { B, T, E, N };
  const v = fill(f32(M * E), g), dtr = fill(f32(M * E), g, 1, -0.5), Alog = fill(f32(E * N), g, 0.3, 0.5);
  dtr[4] = 25;
  const Bm = fill(f32(M * N), g), Cm = fill(f32(M * N), g), D = fill(f32(E), g), dy = fill(f32(M * E), g);
  const [a, b] = both(() => {
    const y = f32(M * E), delta = f32(M * E);
    scanFwd(y, delta, v, dtr, Alog, Bm, Cm, D, s);
    const gr = { dv: f32(M * E), ddtr: f32(M * E), dAlog: f32(E * N), dB: f32(M * N), dC: f32(M * N), dD: f32(E) };
    scanBwd(gr, dy, v, dtr, delta, Alog, Bm, Cm, D, s);
    return [y, delta, gr.dv, gr.ddtr, gr.dAlog, gr.dB, gr.dC, gr.dD];
  });
  a.forEach((x, i) => assert.ok(maxAbsDiff(x, b[i]!) < 2e-4 * Math.max(1, ...Array.from(x, Math.abs)), `output ${i}: ${maxAbsDiff(x, b[i]!)}`));
});

test('attention kernels = TypeScript attention (GQA 6/3, d 5)', () => {
  const g = randn(22);
  const B = 2, T = 9, nH = 6, nKV = 3, d = 5, M = B * T, s = { B, T, nH, nKV, d };
  const q = fill(f32(M * nH * d), g), k = fill(f32(M * nKV * d), g), v = fill(f32(M * nKV * d), g), dO = fill(f32(M * nH * d), g);
  const [a, b] = both(() => {
    const o = f32(M * nH * d);
    const P = attnFwd(o, q, k, v, s);
    const dq = f32(q.length), dk = f32(k.length), dv = f32(v.length);
    attnBwd(dq, dk, dv, dO, q, k, v, P, s);
    return [o, dq, dk, dv];
  });
  a.forEach((x, i) => assert.ok(maxAbsDiff(x, b[i]!) < 1e-5, `output ${i}: ${maxAbsDiff(x, b[i]!)}`));
});

test('conv and cross-entropy kernels = TypeScript ops', () => {
  const g = randn(23);
  const B = 2, T = 6, E = 7, K = 4, uStride = 2 * E, M = B * T, V = 13;
  const u = fill(f32(M * uStride), g), w = fill(f32(E * K), g), bias = fill(f32(E), g), dc = fill(f32(M * E), g);
  const logits = fill(f32(M * V), g, 3), targets = Int32Array.from({ length: M }, (_, i) => (i % 5 === 4 ? -1 : (i * 7) % V));
  const [a, b] = both(() => {
    const s = { B, T, E, K, uStride };
    const c = f32(M * E), c0 = f32(M * E);
    convFwd(c, u, w, bias, s);
    convFwd(c0, u, w, null, s);
    const du = f32(u.length), dw = f32(w.length), db = f32(E);
    convBwd(du, dw, db, dc, u, w, s);
    const dl = f32(M * V);
    const ce = crossEntropy(logits, targets, M, V, dl, 0.5);
    const ce0 = crossEntropy(logits, targets, M, V, null);
    return [c, c0, du, dw, db, dl, Float32Array.of(ce.loss, ce0.loss, ce.count)];
  });
  a.forEach((x, i) => assert.ok(maxAbsDiff(x, b[i]!) < 1e-5, `output ${i}: ${maxAbsDiff(x, b[i]!)}`));
});

test('linear backward and SiLU gate kernels = TypeScript loops', () => {
  const g = randn(24);
  const M = 11, nIn = 37, nOut = 14, E = 6, zStride = 13, zOff = 5; // nIn: two 16-wide AVX2 tiles and a tail
  const dy = fill(f32(M * nOut), g), x = fill(f32(M * nIn), g), W = fill(f32(nOut * nIn), g);
  const a = fill(f32(M * E), g), z = fill(f32(zOff + M * zStride), g, 3), go = fill(f32(M * E), g);
  useMatmulBackend(null);
  const [r1, r2] = both(() => {
    const dx = fill(f32(M * nIn), randn(1)), dW = fill(f32(nOut * nIn), randn(2)), db = fill(f32(nOut), randn(3));
    linearBwd(dx, dW, db, dy, x, W, M, nIn, nOut);
    const out = f32(M * E), da = f32(M * E), dz = f32(z.length);
    gluFwd(out, a, z, zOff, zStride, M, E, 'silu');
    gluBwd(da, dz, go, a, z, zOff, zStride, M, E, 'silu');
    return [dx, dW, db, out, da, dz];
  });
  r1.forEach((v, i) => assert.ok(maxAbsDiff(v, r2[i]!) < 1e-5, `output ${i}: ${maxAbsDiff(v, r2[i]!)}`));
});

test('RMSNorm (strided) and AdamW kernels = TypeScript loops', () => {
  const g = randn(25);
  const M = 9, n = 7, xs = 10, xo = 2, ys = 8, yo = 1;
  const x = fill(f32(xo + M * xs), g), w = fill(f32(n), g, 0.2, 1), dy = fill(f32(yo + M * ys), g);
  const ps = new ParamSet(tinyConfig(), 'f32');
  randomizeParams(ps, 3);
  const [r1, r2] = both(() => {
    const y = f32(yo + M * ys), rstd = f32(M);
    rmsFwd(rows(y, yo, ys), rows(x, xo, xs), w, rstd, M, n, 1e-6);
    const dx = fill(f32(xo + M * xs), randn(4)), dw = fill(f32(n), randn(5));
    rmsBwd(rows(dx, xo, xs), dw, rows(dy, yo, ys), rows(x, xo, xs), w, rstd, M, n);
    const q = new ParamSet(tinyConfig(), 'f32');
    q.list.forEach((p, j) => { p.data.set(ps.list[j]!.data); p.grad.fill(0.01 * (j + 1)); });
    const opt = new AdamW(q);
    opt.update(1e-2); opt.update(5e-3);
    return [y, rstd, dx, dw, ...q.list.map((p) => p.data as Float32Array)];
  });
  r1.forEach((v, i) => assert.ok(maxAbsDiff(v, r2[i]!) < 1e-5, `output ${i}: ${maxAbsDiff(v, r2[i]!)}`));
});

test('SiLU activation kernels (forward, backward in place) = TypeScript loops', () => {
  const g = randn(26);
  const n = 301;
  const x = fill(f32(n), g, 4), d = fill(f32(n), g);
  const [r1, r2] = both(() => {
    const y = f32(n), dx = Float32Array.from(d);
    actFwd(y, x, n, 'silu');
    actBwd(dx, dx, x, n, 'silu');
    return [y, dx];
  });
  r1.forEach((v, i) => assert.ok(maxAbsDiff(v, r2[i]!) < 1e-5, `output ${i}: ${maxAbsDiff(v, r2[i]!)}`));
});
