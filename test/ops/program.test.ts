/**
 * The ops that exist for recorded programs (kernels/program.c), run directly: attendStep (the new K/V
 * rows written at position P, then attention over 0..P) and experts (the chosen experts of one token,
 * summed in ascending expert order) against the reference backend on random inputs of odd sizes, and
 * bit for bit against the native ops they stand for (append + attention; matmulMany + gatedAct + the
 * sum model/ffn.ts does), on every ISA; and experts' checks of its weights. Recording and replaying
 * them is test/model/decode-step.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RefBackend } from '../../src/backends/ref/index.js';
import { loadAddon } from '../../src/backends/native/addon.js';
import type { Weight } from '../../src/tensor/weight.js';
import { assertBitEqual, assertClose, forEachIsa, rand, randWeight, rng, skipReason } from './helpers.js';

const ref = new RefBackend();

const STEP_CASES: [number, number, number, number][] = [
  // P (keys already cached), nH, nKV, d
  [0, 4, 2, 8], [37, 6, 2, 20], [300, 8, 2, 64], [700, 5, 1, 33], [255, 4, 4, 128],
];

test('attendStep writes row P of the caches and attends over 0..P: the reference, and native append + attention bit for bit', { skip: skipReason() }, () => {
  const a = loadAddon()!;
  const r = rng(31);
  forEachIsa((nb, isa) => {
    for (const [P, nH, nKV, d] of STEP_CASES) {
      const row = nKV * d, cap = P + 3; // room past P: rows after P stay untouched
      const q = rand(r, nH * d, -3, 3), kNew = rand(r, row, -3, 3), vNew = rand(r, row);
      const k = rand(r, cap * row, -3, 3), v = rand(r, cap * row);
      const k2 = k.slice(), v2 = v.slice(), out = new Float32Array(nH * d);
      a.attendStep!(q, kNew, vNew, k, v, nH, nKV, d, 1 / Math.sqrt(d), out, P);
      const what = `${isa} attendStep P=${P} nH=${nH} nKV=${nKV} d=${d}`;
      k2.set(kNew, P * row); v2.set(vNew, P * row);
      assertBitEqual(k, k2, `${what}: K cache`);
      assertBitEqual(v, v2, `${what}: V cache`);
      const args = { q, k: k2, v: v2, T: 1, past: P, nH, nKV, d, scale: 1 / Math.sqrt(d), out: new Float32Array(nH * d) };
      nb.attention(args);
      assertBitEqual(out, args.out, `${what}: against native attention`);
      const want = new Float32Array(nH * d);
      ref.attention({ ...args, out: want });
      assertClose(out, want, `${what}: against the reference`);
    }
  });
});

const CODE: Record<string, number> = { f32: 0, f16: 1, bf16: 2 };
const EXPERT_CASES: [number, number, number, number, string][] = [
  // H, I, experts, chosen, weight type
  [37, 23, 5, 3, 'f32'], [48, 72, 4, 2, 'bf16'], [19, 40, 7, 1, 'f16'], [64, 33, 16, 4, 'f32'],
];

test('experts: the chosen experts of one token against the reference, and native matmuls + sum bit for bit', { skip: skipReason() }, () => {
  const a = loadAddon()!;
  const r = rng(32);
  forEachIsa((nb, isa) => {
    for (const [H, I, nE, k, dt] of EXPERT_CASES) {
      const what = `${isa} experts H=${H} I=${I} nE=${nE} k=${k} ${dt}`;
      const gate: Weight[] = [], up: Weight[] = [], down: Weight[] = [];
      for (let e = 0; e < nE; e++) {
        gate.push(randWeight(r, dt as 'f32', I, H)); up.push(randWeight(r, dt as 'f32', I, H)); down.push(randWeight(r, dt as 'f32', H, I));
      }
      const x = rand(r, H, -2, 2);
      const order = Array.from({ length: nE }, (_, e) => e).sort(() => r() - 0.5);
      const sel = Int32Array.from(order.slice(0, k)), wts = rand(r, k, 0, 1); // in any order: summed in expert order
      const g = new Float32Array(k * I), u = new Float32Array(k * I), y = new Float32Array(k * H), out = new Float32Array(H);
      const wargs = [...gate, ...up, ...down].flatMap((w) => [w.data, CODE[dt]!]);
      a.experts!(x, sel, wts, k, 0, g, u, y, out, H, I, 1, nE, ...wargs);
      // the same by native ops one by one, and by the reference, with the sum of model/ffn.ts
      const chosen = [...sel].map((e, j) => [e, wts[j]!] as const).sort((p, q2) => p[0] - q2[0]);
      for (const be of [nb, ref]) {
        const sum = new Float32Array(H);
        for (const [e, wt] of chosen) {
          const ge = new Float32Array(I), ue = new Float32Array(I), ye = new Float32Array(H);
          be.matmulMany([{ y: ge, x, w: gate[e]!, T: 1 }, { y: ue, x, w: up[e]!, T: 1 }]);
          be.gatedAct(ge, ge, ue, I, 'silu');
          be.matmul(ye, ge, down[e]!, 1);
          for (let i = 0; i < H; i++) sum[i] = sum[i]! + wt * ye[i]!;
        }
        if (be === ref) assertClose(out, sum, `${what}: against the reference`, 1e-4);
        else assertBitEqual(out, sum, `${what}: against native ops`);
      }
    }
  });
});

test('experts names a bad weight: its pair of arguments, a wrong array type, an unknown type code, too few bytes', { skip: skipReason() }, () => {
  const a = loadAddon()!;
  const H = 4, I = 4, nE = 2, good = new Uint8Array(H * I * 4);
  const call = (w: (Uint8Array | Float32Array | number)[]) => a.experts!(new Float32Array(H), Int32Array.from([1, 0]), new Float32Array(2), 2, 0,
    new Float32Array(2 * I), new Float32Array(2 * I), new Float32Array(2 * H), new Float32Array(H), H, I, 0, nE, ...(w as (Uint8Array | number)[]));
  const pairs = (bad: (Uint8Array | Float32Array | number)[], at: number) =>
    Array.from({ length: 3 * nE }, (_, i) => (i === at ? bad : [good, 0])).flat();
  call(pairs([good, 0], 0)); // all good
  assert.throws(() => call(pairs([new Float32Array(16), 0], 3)), /experts, weight pair at arguments 19-20: argument 0 must be a Uint8Array/);
  assert.throws(() => call(pairs([good, 99], 4)), /experts: weight 4 \(argument 21\): dtype code 99 unknown/);
  assert.throws(() => call(pairs([new Uint8Array(H * I * 4 - 1), 0], 5)), /experts: weight 5 \(argument 23\).*fewer than 4 rows/);
});
