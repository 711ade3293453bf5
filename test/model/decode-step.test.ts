/**
 * Recorded decode steps (model/decode-step.ts): on the native backend a one-token forward replays a
 * recorded program; its logits and the sequence's memory must be bit for bit those of the op-by-op
 * path (recordedSteps off), on every instruction set, through KV caches that grow (the step is
 * recorded anew), snapshots restored mid-sequence, sequences interleaved and quantised weights. A bad
 * replay (a position the caches do not hold, an expert out of range) is a RangeError, not a crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../src/model/load.js';
import type { JambaModel } from '../../src/model/jamba.js';
import { RefBackend } from '../../src/backends/ref/index.js';
import { DecodeStep } from '../../src/model/decode-step.js';
import { KVCache } from '../../src/memory/kv-cache.js';
import type { SequenceMemory } from '../../src/memory/sequence.js';
import { convertCheckpoint } from '../../src/io/convert.js';
import { openCheckpoint } from '../../src/io/checkpoint.js';
import { argmax } from '../../src/generate/sampling.js';
import { loadAddon } from '../../src/backends/native/addon.js';
import { referenceDir } from '../helpers/reference.js';
import { generatedModel } from '../helpers/models.js';
import { assertBitEqual, forEachIsa, nativeBackend, skipReason } from '../ops/helpers.js';

const STEPS = 40; // past a KV cache's first two doublings (16, 32 rows)

/** The memory's states, concatenated (KV rows in use only). */
function stateOf(mem: SequenceMemory): Float32Array {
  const parts: Float32Array[] = [];
  for (const l of mem.layers) {
    if (l instanceof KVCache) parts.push(l.k.subarray(0, l.length * l.rowSize), l.v.subarray(0, l.length * l.rowSize));
    else parts.push(l.conv, l.ssm);
  }
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/**
 * A 5-token prefill, then STEPS greedy tokens; halfway a snapshot is taken, two tokens decoded and the
 * snapshot restored (its arrays stay; their contents go back). Returns every step's logits and the
 * final memory.
 */
function decode(model: JambaModel, recorded: boolean): { logits: Float32Array; state: Float32Array } {
  model.recordedSteps = recorded;
  const V = model.dims.V, mem = model.newSequence(), other = model.newSequence();
  const all = new Float32Array(STEPS * V);
  let logits = model.forward([{ memory: mem, tokens: [3, 1, 4, 1, 5] }]);
  model.forward([{ memory: other, tokens: [2, 7] }]);
  for (let i = 0; i < STEPS; i++) {
    if (i === STEPS / 2) {
      const snap = mem.snapshot();
      model.forward([{ memory: mem, tokens: [1] }]);
      model.forward([{ memory: mem, tokens: [2] }]);
      mem.restore(snap);
    }
    model.forward([{ memory: other, tokens: [i % V] }]); // another sequence's steps in between
    logits = model.forward([{ memory: mem, tokens: [argmax(logits)] }]);
    all.set(logits, i * V);
  }
  return { logits: all, state: stateOf(mem) };
}

function assertSamePaths(model: JambaModel, what: string): void {
  const js = decode(model, false), rec = decode(model, true);
  assertBitEqual(rec.logits, js.logits, `${what}: logits`);
  assertBitEqual(rec.state, js.state, `${what}: memory`);
}

const models: [string, () => string][] = [
  ['hybrid-moe', () => referenceDir('hybrid-moe')],
  ['jamba-v0.1-layout', () => referenceDir('jamba-v0.1-layout')],
  ['dense-tied', () => referenceDir('dense-tied')],
  ['top2-dconv3-gqa2', () => generatedModel('top2-dconv3-gqa2')],
  ['attn0-top1-moe-every-layer', () => generatedModel('attn0-top1-moe-every-layer')],
];

for (const [name, dir] of models) {
  test(`${name}: recorded decode steps equal the op-by-op path bit for bit, every ISA`, { skip: skipReason() }, async () => {
    const model = await loadModel(dir(), nativeBackend()!);
    assert.ok(DecodeStep.record(model.backend, model.config, model.weights, model.dims, model.newSequence()), 'no step recorded on native');
    forEachIsa((_, isa) => assertSamePaths(model, `${name} ${isa}`));
  });
}

test('quantised weights (q8_0, q4_k_m GGUF): recorded steps equal the op-by-op path, both int8 and exact dots', { skip: skipReason() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jamba-step-test-'));
  for (const type of ['q8_0', 'q4_k_m'] as const) {
    const path = join(dir, `hybrid-moe-${type}.gguf`);
    convertCheckpoint(await openCheckpoint(referenceDir('hybrid-moe')), path, type);
    for (const dot of ['int8', 'exact'] as const) {
      const model = await loadModel(path, nativeBackend(dot)!);
      assertSamePaths(model, `${type} ${dot}`);
    }
  }
});

test('a step is recorded once per sequence, and again when its KV caches grow', { skip: skipReason() }, async () => {
  const model = await loadModel(referenceDir('hybrid-moe'), nativeBackend()!);
  const addon = loadAddon()!;
  const real = addon.programCreate!;
  let made = 0;
  (addon as { programCreate: () => object }).programCreate = () => { made++; return real.call(addon); };
  try {
    const mem = model.newSequence();
    model.forward([{ memory: mem, tokens: [1] }]); // capacity 16
    for (let i = 0; i < 14; i++) model.forward([{ memory: mem, tokens: [2] }]);
    assert.equal(made, 1, 'recorded once for 15 tokens');
    model.forward([{ memory: mem, tokens: [3] }]); // position 15: still 16 rows
    model.forward([{ memory: mem, tokens: [3] }]); // position 16: the caches double
    assert.equal(made, 2, 'recorded again after the caches grew');
  } finally {
    (addon as { programCreate: () => object }).programCreate = real;
  }
});

test('the reference backend records nothing: forward runs op by op there', async () => {
  const model = await loadModel(referenceDir('hybrid-moe'), new RefBackend());
  assert.equal(DecodeStep.record(model.backend, model.config, model.weights, model.dims, model.newSequence()), null);
  const mem = model.newSequence();
  model.forward([{ memory: mem, tokens: [1] }]);
  assert.equal(mem.length, 1);
});

test('bad replays and recordings are errors that say what is wrong, never a crash', { skip: skipReason() }, () => {
  const a = loadAddon()!;
  const h = a.programCreate!();
  const q = new Float32Array(8), kn = new Float32Array(4), vn = new Float32Array(4), out = new Float32Array(8);
  const kc = new Float32Array(4 * 3), vc = new Float32Array(4 * 3); // 3 rows
  a.programRecord!(h);
  try {
    a.attendStep!(q, kn, vn, kc, vc, 2, 1, 4, 0.5, out, -1);
    assert.throws(() => a.embed(out, new Int32Array([0]), new Uint8Array(16), 0, 4), /cannot record it/);
    assert.throws(() => a.programRecord!(h), /already recording/);
    assert.throws(() => a.programRun!(h, 0, 1, 0, 1), /being recorded/);
  } finally {
    a.programRecord!(null);
  }
  assert.equal(a.programLength!(h), 1);
  a.programRun!(h, 0, 1, 2, 1); // row 2 of 3
  assert.throws(() => a.programRun!(h, 0, 1, 3, 1), /KV cache is shorter than position \+ 1 rows/);
  assert.throws(() => a.programRun!(h, 0, 2, 0, 1), /segment outside the program/);
  assert.throws(() => a.programRun!(h, 0, 1, -1, 1), /negative position/);
  assert.throws(() => a.attendStep!(q, kn, vn, kc, vc, 2, 1, 4, 0.5, out, -1), /-1 exactly when recording/);
  // experts: ids out of range or repeated
  const H = 4, I = 4, nE = 2, w = new Uint8Array(H * I * 4);
  const args = (sel: Int32Array) => [new Float32Array(H), sel, new Float32Array(2), 2, 0, new Float32Array(2 * I), new Float32Array(2 * I),
    new Float32Array(2 * H), new Float32Array(H), H, I, 0, nE, ...Array.from({ length: 3 * nE }, () => [w, 0]).flat()] as (Float32Array | Int32Array | Uint8Array | number)[];
  a.experts!(...args(new Int32Array([1, 0])));
  assert.throws(() => a.experts!(...args(new Int32Array([0, 2]))), /expert id is out of range/);
  assert.throws(() => a.experts!(...args(new Int32Array([1, 1]))), /chosen twice/);
  assert.throws(() => a.experts!(...args(new Int32Array([0, 1])).slice(0, 15)), /expected 12 weight arguments/);
});

test('a weight without a native kernel cannot be recorded: the model then decodes op by op', { skip: skipReason() }, async () => {
  const model = await loadModel(referenceDir('hybrid-moe'), nativeBackend()!);
  const l = model.weights.layers.find((x) => x.mixer.kind === 'mamba')!;
  const m = l.mixer as { xProj: { dtype: string } };
  const saved = m.xProj;
  (m as { xProj: unknown }).xProj = { ...saved, dtype: 'q2_k' }; // a type the kernels do not have
  try {
    assert.equal(DecodeStep.record(model.backend, model.config, model.weights, model.dims, model.newSequence()), null);
  } finally {
    (m as { xProj: unknown }).xProj = saved;
  }
});

test('a token outside the vocabulary is a user error on the recorded path too, and changes nothing', { skip: skipReason() }, async () => {
  const model = await loadModel(referenceDir('hybrid-moe'), nativeBackend()!);
  const mem = model.newSequence();
  model.forward([{ memory: mem, tokens: [1, 2] }]);
  model.forward([{ memory: mem, tokens: [3] }]); // the step is recorded
  const before = stateOf(mem);
  for (const bad of [model.dims.V, -1, 1.5]) {
    assert.throws(() => model.forward([{ memory: mem, tokens: [bad] }]), (e: Error) => e.name === 'JambaUserError' && /outside the vocabulary/.test(e.message));
  }
  assert.equal(mem.length, 3);
  assertBitEqual(stateOf(mem), before, 'memory after the refused tokens');
});
