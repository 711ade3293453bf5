/**
 * Split GGUF writing (src/io/gguf/split.ts writeSplitGguf, convertCheckpoint's `split`): the plan
 * (order kept, tensors whole, limits as gguf-split counts them, oversize tensors alone), the split keys
 * on every part and the metadata on the first only, the set read back with the same tensors and logits
 * as the unsplit file, and no file left behind when a part fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { openFolderCheckpoint } from '../../src/io/checkpoint.js';
import { convertCheckpoint } from '../../src/io/convert.js';
import { GgufFile, gv, openGgufCheckpoint, type GgufMetadata } from '../../src/io/gguf/index.js';
import { planSplit, splitPaths, writeSplitGguf } from '../../src/io/gguf/split.js';
import type { Checkpoint } from '../../src/io/source.js';
import { parseConfig } from '../../src/model/config.js';
import { JambaModel } from '../../src/model/jamba.js';
import { loadWeights } from '../../src/model/weights.js';
import { RefBackend } from '../../src/backends/ref/index.js';
import { maxAbsDiff, readF32, referenceCases, referenceDir } from '../helpers/reference.js';

const CFG = 'hybrid-moe';
const tmp = () => mkdtempSync(join(tmpdir(), 'jamba-split-test-'));

function logits(ck: Checkpoint): Float32Array {
  try {
    const config = parseConfig(ck.config, 'test');
    const m = new JambaModel(config, loadWeights(config, ck.tensors), new RefBackend());
    const c = referenceCases(CFG).find((x) => x.name === 'short')!;
    return m.forward(c.input_ids.map((ids) => ({ memory: m.newSequence(), tokens: ids })), { logits: 'all' });
  } finally {
    ck.tensors.close?.();
  }
}

test('planSplit: order kept, limits as gguf-split counts them (padded data), an oversize tensor alone', () => {
  assert.deepEqual(planSplit([10, 10, 10, 10, 10], { maxTensors: 2 }), [[0, 1], [2, 3], [4]]);
  // Sizes are padded to 32: 10 → 32. 64 bytes hold two.
  assert.deepEqual(planSplit([10, 10, 10], { maxBytes: 64 }), [[0, 1], [2]]);
  assert.deepEqual(planSplit([32, 200, 32, 32], { maxBytes: 64 }), [[0], [1], [2, 3]]);
  assert.deepEqual(planSplit([200], { maxBytes: 64 }), [[0]]);
  // Both limits: whichever is reached first.
  assert.deepEqual(planSplit([32, 32, 32, 32, 96], { maxBytes: 96, maxTensors: 2 }), [[0, 1], [2, 3], [4]]);
  assert.deepEqual(planSplit([], { maxTensors: 1 }), [[]]);
  assert.deepEqual(splitPaths('/a/m.GGUF', 2), ['/a/m-00001-of-00002.gguf', '/a/m-00002-of-00002.gguf']);
  assert.deepEqual(splitPaths('/a/m', 1), ['/a/m-00001-of-00001.gguf']);
});

test(`${CFG}: a split F32 set has the split keys, metadata on part 1 only, and loads with the same tensors and logits`, () => {
  const dir = tmp();
  const whole = join(dir, 'whole.gguf');
  convertCheckpoint(openFolderCheckpoint(referenceDir(CFG)), whole, 'f32');
  const report = convertCheckpoint(openFolderCheckpoint(referenceDir(CFG)), join(dir, 'split.gguf'), 'f32', { split: { maxTensors: 16 } });
  const n = report.tensors.length;
  const count = Math.ceil(n / 16);
  assert.ok(count >= 3, `${n} tensors in ${count} parts`);
  assert.deepEqual(report.files.map((f) => basename(f)), Array.from({ length: count }, (_, i) => `split-${String(i + 1).padStart(5, '0')}-of-${String(count).padStart(5, '0')}.gguf`));
  assert.deepEqual(readdirSync(dir).sort(), ['whole.gguf', ...report.files.map((f) => basename(f))].sort(), 'no temporary files left');

  const w = new GgufFile(whole);
  const parts = report.files.map((f) => new GgufFile(f));
  try {
    parts.forEach((p, i) => {
      assert.equal(p.metadata.get('split.no')?.value, i);
      assert.equal(p.metadata.get('split.no')?.type, 2, 'split.no is a u16');
      assert.deepEqual(p.metadata.get('split.count'), gv.u16(count));
      assert.deepEqual(p.metadata.get('split.tensors.count'), gv.i32(n));
      assert.equal(p.tensors.length, i < count - 1 ? 16 : n - 16 * (count - 1));
      if (i > 0) assert.deepEqual([...p.metadata.keys()], ['split.no', 'split.count', 'split.tensors.count']);
    });
    const first = parts[0]!.metadata;
    for (const [k, v] of w.metadata) assert.deepEqual(first.get(k), v, k);
    assert.equal(first.size, w.metadata.size + 3);
    // Same tensors, same order, same bytes.
    const all = parts.flatMap((p) => p.tensors);
    assert.deepEqual(all.map((t) => t.name), w.tensors.map((t) => t.name));
    all.forEach((t, i) => {
      const u = w.tensors[i]!;
      assert.deepEqual([t.dtype, t.ne], [u.dtype, u.ne], t.name);
      assert.deepEqual(t.file.read(t), w.read(u), t.name);
    });
  } finally {
    w.close();
    for (const p of parts) p.close();
  }

  const want = logits(openGgufCheckpoint(whole));
  const c = referenceCases(CFG).find((x) => x.name === 'short')!;
  assert.ok(maxAbsDiff(want, readF32(CFG, c.logits)) < 1e-4);
  assert.deepEqual(logits(openGgufCheckpoint(report.files[0]!)), want, 'opened from part 1');
  assert.deepEqual(logits(openGgufCheckpoint(report.files[1]!)), want, 'opened from part 2');
});

test(`${CFG}: split by size (q8_0): each part within the limit unless one tensor is larger; same logits`, () => {
  const dir = tmp();
  const whole = join(dir, 'whole.gguf');
  convertCheckpoint(openFolderCheckpoint(referenceDir(CFG)), whole, 'q8_0');
  const limit = 20_000;
  const report = convertCheckpoint(openFolderCheckpoint(referenceDir(CFG)), join(dir, 'q8.gguf'), 'q8_0', { split: { maxBytes: limit } });
  const parts = report.files.map((f) => new GgufFile(f));
  try {
    let big = 0;
    for (const p of parts) {
      const data = p.tensors.reduce((a, t) => a + Math.ceil(t.bytes / 32) * 32, 0);
      if (data > limit) {
        assert.equal(p.tensors.length, 1, `${p.path}: ${data} bytes over the limit only for a lone tensor`);
        big++;
      }
    }
    assert.ok(big >= 1, 'the embedding (512 × 64 q8_0 = 34816 bytes) is larger than the limit and sits alone');
    assert.ok(parts.length >= 3);
  } finally {
    for (const p of parts) p.close();
  }
  assert.deepEqual(logits(openGgufCheckpoint(report.files.at(-1)!)), logits(openGgufCheckpoint(whole)));
});

test('a failing part leaves no file of the set behind (neither parts nor temporaries)', () => {
  const dir = tmp();
  const meta: GgufMetadata = new Map([['general.architecture', gv.str('jamba')]]);
  const good = (name: string) => ({ name, dtype: 'f32' as const, ne: [8], data: () => [new Uint8Array(32)] });
  const bad = { name: 'bad', dtype: 'f32' as const, ne: [8], data: () => [new Uint8Array(12)] };
  assert.throws(() => writeSplitGguf(join(dir, 'm.gguf'), meta, [good('a'), good('b'), good('c'), bad], { maxTensors: 2 }), /tensor bad: produced 12 bytes/);
  assert.deepEqual(readdirSync(dir), []);
  const throwing = { name: 'boom', dtype: 'f32' as const, ne: [8], data: function* () { yield new Uint8Array(16); throw new Error('read failed'); } };
  assert.throws(() => writeSplitGguf(join(dir, 'm.gguf'), meta, [good('a'), throwing], { maxTensors: 1 }), /read failed/);
  assert.deepEqual(readdirSync(dir), []);
  // And a good set lands complete.
  const paths = writeSplitGguf(join(dir, 'm.gguf'), meta, [good('a'), good('b'), good('c')], { maxTensors: 2 });
  assert.ok(paths.every((p) => existsSync(p)));
  assert.equal(readdirSync(dir).length, 2);
});
