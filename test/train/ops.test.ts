/**
 * Backward of each training op against central finite differences in float64 (spec §4 RMSNorm, §5
 * attention with GQA, §6.1 conv and selective scan, linear layers, cross-entropy), on odd sizes.
 * Each check uses loss = Σ out ⊙ R for a fixed random R, so ∂loss/∂out = R.
 */
import { test } from 'node:test';
import { attnBwd, attnFwd } from '../../src/train/ops/attention.js';
import { convBwd, convFwd } from '../../src/train/ops/conv.js';
import { linearBwd, linearFwd } from '../../src/train/ops/linear.js';
import { crossEntropy } from '../../src/train/ops/loss.js';
import { rmsBwd, rmsFwd, rows } from '../../src/train/ops/rmsnorm.js';
import { scanBwd, scanFwd } from '../../src/train/ops/scan.js';
import { dot, fill, gradCheck, randn } from './helpers.js';

const f64 = (n: number) => new Float64Array(n);

test('linear: dx, dW, db (M not a multiple of 4)', () => {
  const g = randn(1);
  const M = 7, nIn = 5, nOut = 9;
  const x = fill(f64(M * nIn), g), W = fill(f64(nOut * nIn), g), b = fill(f64(nOut), g), R = fill(f64(M * nOut), g);
  const loss = () => { const y = f64(M * nOut); linearFwd(y, x, W, b, M, nIn, nOut); return dot(y, R); };
  const dx = f64(M * nIn), dW = f64(nOut * nIn), db = f64(nOut);
  linearBwd(dx, dW, db, R, x, W, M, nIn, nOut);
  gradCheck('x', x, dx, loss, { samples: 100 });
  gradCheck('W', W, dW, loss, { samples: 100 });
  gradCheck('b', b, db, loss);
});

test('rmsnorm: strided rows, dx and dw', () => {
  const g = randn(2);
  const M = 5, n = 7, stride = 11, off = 3, eps = 1e-6;
  const x = fill(f64(M * stride), g), w = fill(f64(n), g, 0.3, 1), R = fill(f64(M * n), g);
  const loss = () => { const y = f64(M * n); rmsFwd(rows(y), rows(x, off, stride), w, f64(M), M, n, eps); return dot(y, R); };
  const r = f64(M); rmsFwd(rows(f64(M * n)), rows(x, off, stride), w, r, M, n, eps);
  const dx = f64(M * stride), dw = f64(n);
  rmsBwd(rows(dx, off, stride), dw, rows(R), rows(x, off, stride), w, r, M, n);
  gradCheck('x', x, dx, loss, { samples: 60 });
  gradCheck('w', w, dw, loss);
});

test('attention: causal GQA (nH 6, nKV 2, d 3), two sequences', () => {
  const g = randn(3);
  const B = 2, T = 5, nH = 6, nKV = 2, d = 3, M = B * T, s = { B, T, nH, nKV, d };
  const q = fill(f64(M * nH * d), g), k = fill(f64(M * nKV * d), g), v = fill(f64(M * nKV * d), g), R = fill(f64(M * nH * d), g);
  const loss = () => { const o = f64(M * nH * d); attnFwd(o, q, k, v, s); return dot(o, R); };
  const P = attnFwd(f64(M * nH * d), q, k, v, s);
  const dq = f64(q.length), dk = f64(k.length), dv = f64(v.length);
  attnBwd(dq, dk, dv, R, q, k, v, P, s);
  gradCheck('q', q, dq, loss, { samples: 60 });
  gradCheck('k', k, dk, loss, { samples: 60 });
  gradCheck('v', v, dv, loss, { samples: 60 });
});

for (const K of [2, 3, 4]) {
  test(`conv: causal depthwise with bias, d_conv ${K}, strided input`, () => {
    const g = randn(10 + K);
    const B = 2, T = 6, E = 5, uStride = 2 * E, M = B * T, s = { B, T, E, K, uStride };
    const u = fill(f64(M * uStride), g), w = fill(f64(E * K), g), b = fill(f64(E), g), R = fill(f64(M * E), g);
    const loss = () => { const c = f64(M * E); convFwd(c, u, w, b, s); return dot(c, R); };
    const du = f64(u.length), dw = f64(w.length), db = f64(E);
    convBwd(du, dw, db, R, u, w, s);
    gradCheck('u', u, du, loss, { samples: 60 });
    gradCheck('w', w, dw, loss, { samples: 30 });
    gradCheck('b', b, db, loss);
  });
}

test('selective scan: reverse-time recurrence, softplus pass-through above 20', () => {
  const g = randn(4);
  const B = 2, T = 6, E = 5, N = 4, M = B * T, s = { B, T, E, N };
  const v = fill(f64(M * E), g), dtr = fill(f64(M * E), g, 0.8, -0.5);
  for (let t = 0; t < M; t++) dtr[t * E + 2] = 20.5 + 0.1 * t; // channel 2 always on the pass-through branch
  const Alog = f64(E * N);
  for (let i = 0; i < Alog.length; i++) Alog[i] = Math.log(1 + (i % N)) + 0.2 * g() - 2.5; // small A so the state survives Δ > 20
  const Bm = fill(f64(M * N), g), Cm = fill(f64(M * N), g), D = fill(f64(E), g), R = fill(f64(M * E), g);
  const loss = () => { const y = f64(M * E); scanFwd(y, f64(M * E), v, dtr, Alog, Bm, Cm, D, s); return dot(y, R); };
  const delta = f64(M * E); scanFwd(f64(M * E), delta, v, dtr, Alog, Bm, Cm, D, s);
  const gr = { dv: f64(M * E), ddtr: f64(M * E), dAlog: f64(E * N), dB: f64(M * N), dC: f64(M * N), dD: f64(E) };
  scanBwd(gr, R, v, dtr, delta, Alog, Bm, Cm, D, s);
  gradCheck('v', v, gr.dv, loss, { samples: 60 });
  gradCheck('dtr', dtr, gr.ddtr, loss, { samples: 60 });
  const passIdx = [2, E + 2, 5 * E + 2];
  for (const i of passIdx) gradCheck(`dtr(>20)`, dtr.subarray(i, i + 1), gr.ddtr.subarray(i, i + 1), loss);
  gradCheck('A_log', Alog, gr.dAlog, loss);
  gradCheck('B', Bm, gr.dB, loss, { samples: 48 });
  gradCheck('C', Cm, gr.dC, loss, { samples: 48 });
  gradCheck('D', D, gr.dD, loss);
});

test('cross-entropy: gradient, ignored targets', () => {
  const g = randn(5);
  const M = 6, V = 11;
  const logits = fill(f64(M * V), g, 2);
  const targets = Int32Array.from([3, -1, 0, 10, 5, 5]);
  const loss = () => crossEntropy(logits, targets, M, V, null).loss;
  const dl = f64(M * V);
  crossEntropy(logits, targets, M, V, dl);
  gradCheck('logits', logits, dl, loss, { samples: 66 });
});
