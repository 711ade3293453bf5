/**
 * GGUF reader and writer (src/io/gguf/): every metadata value type round-trips with its type, tensor
 * data and alignment, split files, positions past 4 GB, and every corrupt or unsupported file fails
 * with a JambaUserError naming the problem.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JambaUserError } from '../../src/errors.js';
import { GgufFile, GgufModelFiles, GgufType, gv, plainMetadata, splitPath, writeGguf, type GgufMetadata, type GgufTensorSpec } from '../../src/io/gguf/index.js';
import { quantizeRows } from '../../src/tensor/quant/index.js';

const dir = mkdtempSync(join(tmpdir(), 'jamba-gguf-test-'));
let n = 0;
const tmp = (name = 'x.gguf') => join(dir, `${n++}-${name}`);

function allTypes(): GgufMetadata {
  const m: GgufMetadata = new Map();
  m.set('t.u8', { type: GgufType.U8, value: 255 });
  m.set('t.i8', { type: GgufType.I8, value: -128 });
  m.set('t.u16', { type: GgufType.U16, value: 65535 });
  m.set('t.i16', { type: GgufType.I16, value: -32768 });
  m.set('t.u32', { type: GgufType.U32, value: 4294967295 });
  m.set('t.i32', { type: GgufType.I32, value: -2147483648 });
  m.set('t.f32', { type: GgufType.F32, value: Math.fround(1e-6) });
  m.set('t.f64', { type: GgufType.F64, value: Math.PI });
  m.set('t.u64', { type: GgufType.U64, value: 2n ** 64n - 1n });
  m.set('t.i64', { type: GgufType.I64, value: -(2n ** 63n) });
  m.set('t.bool', { type: GgufType.BOOL, value: true });
  m.set('t.str', gv.str('Jamba ✓ — ünïcödé'));
  m.set('t.empty', gv.str(''));
  m.set('a.u8', gv.arr(GgufType.U8, Uint8Array.of(0, 1, 255)));
  m.set('a.i8', gv.arr(GgufType.I8, Int8Array.of(-1, 2)));
  m.set('a.u16', gv.arr(GgufType.U16, Uint16Array.of(7, 65535)));
  m.set('a.i16', gv.arr(GgufType.I16, Int16Array.of(-7)));
  m.set('a.u32', gv.arr(GgufType.U32, Uint32Array.of(1, 2, 3)));
  m.set('a.i32', gv.arr(GgufType.I32, Int32Array.of(0, 8, 0, 8)));
  m.set('a.f32', gv.arr(GgufType.F32, Float32Array.of(0.5, -0, Infinity)));
  m.set('a.f64', gv.arr(GgufType.F64, Float64Array.of(1e300)));
  m.set('a.u64', gv.arr(GgufType.U64, BigUint64Array.of(2n ** 63n)));
  m.set('a.i64', gv.arr(GgufType.I64, BigInt64Array.of(-5n)));
  m.set('a.bool', gv.arr(GgufType.BOOL, [true, false, true]));
  m.set('a.str', gv.arr(GgufType.STRING, ['<s>', '', '▁hello']));
  m.set('a.empty', gv.arr(GgufType.I32, new Int32Array(0)));
  m.set('a.nested', gv.arr(GgufType.ARRAY, [gv.arr(GgufType.STRING, ['a', 'b']), gv.arr(GgufType.U8, Uint8Array.of(9))]));
  return m;
}

function f32Spec(name: string, ne: number[], values: Float32Array): GgufTensorSpec {
  return { name, dtype: 'f32', ne, data: () => [new Uint8Array(values.buffer)] };
}

test('every metadata value type, tensors and data round-trip through write and read', () => {
  const path = tmp();
  const meta = allTypes();
  const a = Float32Array.from({ length: 12 }, (_, i) => i - 5.5);
  const q = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
  const qBytes = quantizeRows('q8_0', q, 32);
  writeGguf(path, meta, [
    f32Spec('a', [3, 4], a),
    { name: 'q', dtype: 'q8_0', ne: [32, 2], data: () => [qBytes.subarray(0, 34), qBytes.subarray(34)] },
    f32Spec('v', [5], Float32Array.of(1, 2, 3, 4, 5)),
  ]);
  const f = new GgufFile(path);
  try {
    assert.equal(f.version, 3);
    assert.equal(f.metadata.size, meta.size);
    for (const [k, v] of meta) assert.deepEqual(f.metadata.get(k), v, k);
    assert.deepEqual(f.tensors.map((t) => [t.name, t.dtype, t.ne]), [['a', 'f32', [3, 4]], ['q', 'q8_0', [32, 2]], ['v', 'f32', [5]]]);
    for (const t of f.tensors) assert.equal((t.position - f.dataOffset) % 32, 0, `${t.name} aligned`);
    assert.deepEqual(new Float32Array(f.read(f.tensors[0]!).buffer), a);
    assert.deepEqual(f.read(f.tensors[1]!), qBytes);
    const plain = plainMetadata(f.metadata);
    assert.equal(plain.get('t.u64'), 2n ** 64n - 1n);
    assert.equal(plain.get('t.u32'), 4294967295);
    assert.deepEqual(plain.get('a.nested'), [['a', 'b'], Uint8Array.of(9)]);
  } finally {
    f.close();
  }
});

test('general.alignment is honoured when writing and reading', () => {
  const path = tmp();
  const meta: GgufMetadata = new Map([['general.alignment', gv.u32(256)]]);
  writeGguf(path, meta, [f32Spec('a', [3], Float32Array.of(1, 2, 3)), f32Spec('b', [2], Float32Array.of(4, 5))]);
  const f = new GgufFile(path);
  try {
    assert.equal(f.alignment, 256);
    assert.equal(f.dataOffset % 256, 0);
    assert.equal(f.tensors[1]!.position - f.dataOffset, 256);
    assert.deepEqual(new Float32Array(f.read(f.tensors[1]!).buffer), Float32Array.of(4, 5));
  } finally {
    f.close();
  }
});

test('version 2 files are read (same layout as version 3)', () => {
  const path = tmp();
  writeGguf(path, new Map([['k', gv.u32(7)]]), [f32Spec('a', [2], Float32Array.of(1, 2))]);
  const b = readFileSync(path);
  b.writeUInt32LE(2, 4);
  writeFileSync(path, b);
  const f = new GgufFile(path);
  assert.equal(f.version, 2);
  assert.deepEqual(f.metadata.get('k'), gv.u32(7));
  f.close();
});

/** A valid small file's bytes and the byte offsets of interesting fields. */
function sample(): Buffer {
  const path = tmp();
  writeGguf(path, new Map([['general.architecture', gv.str('jamba')]]), [f32Spec('w', [4, 2], new Float32Array(8).fill(1))]);
  return readFileSync(path);
}

function expectUserError(bytes: Uint8Array, pattern: RegExp): void {
  const path = tmp('bad.gguf');
  writeFileSync(path, bytes);
  assert.throws(() => new GgufFile(path), (e: unknown) => e instanceof JambaUserError && pattern.test(e.message) && e.message.includes(path));
}

test('corrupt files fail with a JambaUserError naming the problem', () => {
  const good = sample();
  // name "w" (u64 length + 1 byte), u32 n_dims, 2 × u64 ne, then the u32 ggml type.
  const typeAt = good.indexOf(Buffer.from('w')) + 1 + 4 + 16;
  assert.equal(good.readUInt32LE(typeAt), 0, 'test locates the type field');

  const badMagic = Buffer.from(good); badMagic.write('GGML', 0, 'latin1');
  expectUserError(badMagic, /not a GGUF file \(bad magic/);
  expectUserError(good.subarray(0, 2), /not a GGUF file|truncated/);
  expectUserError(good.subarray(0, 30), /truncated/);
  expectUserError(good.subarray(0, 60), /file ends inside the GGUF header while reading .*truncated/);
  expectUserError(good.subarray(0, good.length - 5), /tensor w needs bytes .*truncated/);

  const v1 = Buffer.from(good); v1.writeUInt32LE(1, 4);
  expectUserError(v1, /GGUF version 1 is not supported/);
  const be = Buffer.from(good); be.writeUInt32BE(3, 4);
  expectUserError(be, /big-endian/);

  const unknown = Buffer.from(good); unknown.writeUInt32LE(99, typeAt);
  expectUserError(unknown, /tensor w has unknown tensor type 99/);
  const q2k = Buffer.from(good); q2k.writeUInt32LE(10, typeAt);
  expectUserError(q2k, /tensor w has type Q2_K \(ggml type 10\), which jamba-ts cannot read/);

  const badValueType = Buffer.from(good);
  badValueType.writeUInt32LE(77, good.indexOf(Buffer.from('general.architecture')) + 20);
  expectUserError(badValueType, /general\.architecture has unknown GGUF value type 77/);

  const hugeCount = Buffer.from(good); hugeCount.writeBigUInt64LE(2n ** 40n, 8);
  expectUserError(hugeCount, /tensor count is 1099511627776, more than a file of \d+ bytes can hold/);

  const dims = Buffer.from(good); dims.writeUInt32LE(5, typeAt - 20);
  expectUserError(dims, /tensor w has 5 dimensions/);
});

test('bad general.alignment and misaligned offsets are refused', () => {
  const p1 = tmp();
  writeGguf(p1, new Map([['general.alignment', gv.u32(64)]]), [f32Spec('a', [2], Float32Array.of(1, 2))]);
  const b = readFileSync(p1);
  b.writeUInt32LE(48, b.indexOf(Buffer.from('general.alignment')) + 17 + 4);
  expectUserError(b, /general\.alignment 48 is not a power of two/);
  const p2 = tmp();
  writeGguf(p2, new Map(), [f32Spec('a', [2], Float32Array.of(1, 2)), f32Spec('b', [2], Float32Array.of(3, 4))]);
  const c = readFileSync(p2);
  const offAt = c.indexOf(Buffer.from('b'), 24) + 1 + 4 + 8 + 4;
  assert.equal(c.readBigUInt64LE(offAt), 32n, 'test locates the offset field');
  c.writeBigUInt64LE(36n, offAt);
  expectUserError(c, /tensor b data offset 36 is not a multiple of the alignment 32/);
});

test('split files: any part opens all parts; a missing part is named', () => {
  const base = join(dir, 'split-model');
  const parts = [0, 1, 2].map((i) => splitPath(base, i + 1, 3));
  parts.forEach((p, i) => {
    const meta: GgufMetadata = new Map([['split.no', gv.u16(i)], ['split.count', gv.u16(3)], ['split.tensors.count', gv.i32(3)]]);
    if (i === 0) meta.set('general.architecture', gv.str('jamba'));
    writeGguf(p, meta, [f32Spec(`t${i}`, [2], Float32Array.of(i, i + 0.5))]);
  });
  assert.ok(parts[1]!.endsWith('split-model-00002-of-00003.gguf'));
  for (const p of [parts[0]!, parts[2]!]) {
    const m = new GgufModelFiles(p);
    try {
      assert.equal(m.files.length, 3);
      assert.equal(m.metadata.get('general.architecture')?.value, 'jamba');
      assert.deepEqual([...m.tensors.keys()], ['t0', 't1', 't2']);
      assert.deepEqual(new Float32Array(m.read(m.tensors.get('t2')!).buffer), Float32Array.of(2, 2.5));
    } finally {
      m.close();
    }
  }
  const gone = join(dir, 'gone');
  writeGguf(splitPath(gone, 1, 2), new Map([['split.count', gv.u16(2)]]), []);
  assert.throws(() => new GgufModelFiles(splitPath(gone, 1, 2)), /split part 2 of 2 is missing/);
});

test('tensor data past 4 GB is found and read (sparse file)', () => {
  const path = tmp('big.gguf');
  writeGguf(path, new Map(), [f32Spec('small', [4], Float32Array.of(1, 2, 3, 4))]);
  // Rewrite the header so tensor `small` sits at data offset 5 GiB, in a sparse file.
  const b = readFileSync(path);
  const offAt = b.indexOf(Buffer.from('small')) + 5 + 4 + 8 + 4;
  const f = new GgufFile(path);
  const dataOffset = f.dataOffset;
  f.close();
  const far = 5 * 2 ** 30;
  b.writeBigUInt64LE(BigInt(far), offAt);
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, b.subarray(0, dataOffset), 0, dataOffset, 0);
    ftruncateSync(fd, dataOffset + far + 16);
    writeSync(fd, new Uint8Array(Float32Array.of(9, 8, 7, 6).buffer), 0, 16, dataOffset + far);
  } finally {
    closeSync(fd);
  }
  const g = new GgufFile(path);
  try {
    assert.equal(g.tensors[0]!.position, dataOffset + far);
    assert.deepEqual(new Float32Array(g.read(g.tensors[0]!).buffer), Float32Array.of(9, 8, 7, 6));
  } finally {
    g.close();
  }
});

test('a header larger than 64 KB (e.g. a big vocabulary) writes and reads back', () => {
  // Regression: the writer once read a DataView taken before growing its header buffer.
  const path = tmp();
  const tokens = Array.from({ length: 20000 }, (_, i) => `token-${i}-${'x'.repeat(i % 7)}`);
  const meta: GgufMetadata = new Map([['tokenizer.ggml.tokens', gv.arr(GgufType.STRING, tokens)], ['general.name', gv.str('big header')]]);
  writeGguf(path, meta, [f32Spec('a', [3], Float32Array.of(1, 2, 3))]);
  const f = new GgufFile(path);
  try {
    assert.ok(f.dataOffset > 65536);
    const back = plainMetadata(f.metadata);
    assert.deepEqual(back.get('tokenizer.ggml.tokens'), tokens);
    assert.equal(back.get('general.name'), 'big header');
    assert.deepEqual(new Float32Array(f.read(f.tensors[0]!).buffer), Float32Array.of(1, 2, 3));
  } finally {
    f.close();
  }
});
