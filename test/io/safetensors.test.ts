/**
 * safetensors: sharded checkpoints, exact F16/BF16 decoding, lazy reads past 4 GB (sparse file), and
 * every kind of corrupt file giving an error that names the file and tensor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync, ftruncateSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafetensorsFile } from '../../src/io/safetensors.js';
import { openSafetensorsFolder } from '../../src/io/checkpoint.js';
import { writeSafetensors } from '../../src/io/safetensors-write.js';
import { JambaUserError } from '../../src/errors.js';
import { f32Weight } from '../../src/tensor/weight.js';
import { toF32 } from '../../src/tensor/dequant.js';
import { f16ToF32, f32ToBf16, f32ToF16, bf16ToF32 } from '../../src/tensor/dtype.js';
import { loadModel } from '../../src/model/load.js';
import { RefBackend } from '../../src/backends/ref/index.js';
import { REFERENCE, maxAbsDiff } from '../helpers/reference.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'jamba-st-'));

function header(obj: unknown): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(obj));
  const out = new Uint8Array(8 + h.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  return out;
}

function userError(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof JambaUserError && re.test(e.message), `expected a JambaUserError matching ${re}`);
}

test('f16 and bf16 conversions are exact and round to nearest even', () => {
  // Every f16 bit pattern (finite) survives f16 → f32 → f16 exactly.
  for (let h = 0; h < 0x10000; h++) {
    if (((h >> 10) & 0x1f) === 31) continue;
    assert.equal(f32ToF16(f16ToF32(h)), h, `f16 pattern ${h.toString(16)}`);
  }
  for (let b = 0; b < 0x10000; b += 7) {
    if (((b >> 7) & 0xff) === 0xff) continue;
    assert.equal(f32ToBf16(bf16ToF32(b)), b, `bf16 pattern ${b.toString(16)}`);
  }
  assert.equal(f16ToF32(0x3c00), 1);
  assert.equal(f16ToF32(0x0001), 2 ** -24);
  assert.equal(f32ToF16(1 + 2 ** -11), 0x3c00); // tie → even
  assert.equal(f32ToF16(1 + 3 * 2 ** -11), 0x3c02);
  assert.equal(bf16ToF32(0x3f80), 1);
  assert.equal(f32ToBf16(1 + 2 ** -8), 0x3f80); // tie → even
  assert.equal(f32ToBf16(1 + 3 * 2 ** -8), 0x3f82);
});

test('sharded checkpoint with index loads like the single file', async () => {
  const src = join(REFERENCE, 'hybrid-moe');
  const st = new SafetensorsFile(join(src, 'model.safetensors'));
  const names = [...st.entries.keys()];
  const half = Math.floor(names.length / 2);
  const dir = tmp();
  const shards = [names.slice(0, half), names.slice(half)];
  const weightMap: Record<string, string> = {};
  shards.forEach((list, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    writeSafetensors(join(dir, file), list.map((n) => st.read(n)));
    for (const n of list) weightMap[n] = file;
  });
  st.close();
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  copyFileSync(join(src, 'config.json'), join(dir, 'config.json'));
  const a = await loadModel(src, new RefBackend());
  const b = await loadModel(dir, new RefBackend());
  const ids = [5, 9, 100, 7];
  const la = a.forward([{ memory: a.newSequence(), tokens: ids }], { logits: 'all' });
  const lb = b.forward([{ memory: b.newSequence(), tokens: ids }], { logits: 'all' });
  assert.equal(maxAbsDiff(la, lb), 0);
  // An index naming a tensor its shard lacks is an error naming both.
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { ...weightMap, 'model.extra.weight': 'model-00001-of-00002.safetensors' } }));
  userError(() => openSafetensorsFolder(dir), /model\.extra\.weight.*model-00001-of-00002/);
});

test('reads a tensor stored past 4 GB of a sparse file', () => {
  const dir = tmp();
  const path = join(dir, 'big.safetensors');
  const bigElems = 1_100_000_000; // 4.4 GB of F32 padding before the real tensor
  const small = Float32Array.from([1.5, -2.25, 3]);
  const h = header({ pad: { dtype: 'F32', shape: [bigElems], data_offsets: [0, bigElems * 4] }, x: { dtype: 'F32', shape: [3], data_offsets: [bigElems * 4, bigElems * 4 + 12] } });
  const fd = openSync(path, 'w');
  writeSync(fd, h, 0, h.length, 0);
  ftruncateSync(fd, h.length + bigElems * 4 + 12);
  writeSync(fd, new Uint8Array(small.buffer), 0, 12, h.length + bigElems * 4);
  closeSync(fd);
  const f = new SafetensorsFile(path);
  assert.deepEqual(Array.from(toF32(f.read('x'))), [1.5, -2.25, 3]);
  f.close();
});

test('corrupt files fail with a clear error naming file and tensor', () => {
  const dir = tmp();
  const good = join(dir, 'good.safetensors');
  writeSafetensors(good, [f32Weight('a.weight', [2, 3], [1, 2, 3, 4, 5, 6]), f32Weight('b.weight', [4], [1, 2, 3, 4])]);
  const bytes = readFileSync(good);
  const write = (name: string, data: Uint8Array) => { const p = join(dir, name); writeFileSync(p, data); return p; };

  userError(() => new SafetensorsFile(write('trunc.safetensors', bytes.subarray(0, bytes.length - 5))), /trunc\.safetensors: tensor [ab]\.weight: data_offsets end .* past the end/);
  userError(() => new SafetensorsFile(write('tiny.safetensors', bytes.subarray(0, 5))), /tiny\.safetensors: not a safetensors file/);
  userError(() => new SafetensorsFile(write('hlen.safetensors', (() => { const c = Uint8Array.from(bytes); new DataView(c.buffer).setBigUint64(0, 1n << 40n, true); return c; })())), /header length .* does not fit/);
  const body = new Uint8Array(24);
  userError(() => new SafetensorsFile(write('lie.safetensors', new Uint8Array([...header({ a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }), ...body]))), /tensor a: data_offsets \[0, 20\] hold 20 bytes, but F32\[2, 3\] needs 24/);
  userError(() => new SafetensorsFile(write('overlap.safetensors', new Uint8Array([...header({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }), ...body]))), /overlap/);
  userError(() => new SafetensorsFile(write('dtype.safetensors', new Uint8Array([...header({ a: { dtype: 'I64', shape: [3], data_offsets: [0, 24] } }), ...body]))), /tensor a: unsupported dtype I64/);
  userError(() => new SafetensorsFile(write('dtype2.safetensors', new Uint8Array([...header({ a: { dtype: 'Q9', shape: [3], data_offsets: [0, 24] } }), ...body]))), /tensor a: unknown dtype Q9/);
  userError(() => new SafetensorsFile(write('json.safetensors', new Uint8Array([...header({}).subarray(0, 8), 123, 34, 120]))), /header is not valid JSON|does not fit/);
  userError(() => new SafetensorsFile(join(dir, 'missing.safetensors')), /cannot open .*missing\.safetensors: ENOENT/);
});

test('F16 and BF16 checkpoints compute exactly what their decoded F32 values compute', async () => {
  const { writeRandomModel } = await import('../../src/model/random.js');
  const cfg = { model_type: 'jamba', hidden_size: 32, intermediate_size: 40, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1, vocab_size: 97, mamba_d_state: 4, mamba_d_conv: 4, num_experts: 2, num_experts_per_tok: 1, attn_layer_period: 2, attn_layer_offset: 1, initializer_range: 0.2 };
  for (const dtype of ['f16', 'bf16'] as const) {
    const dir = tmp();
    writeRandomModel(dir, cfg, { seed: 3, dtype });
    // The same values, decoded to F32 by our decoder and stored as F32.
    const st = new SafetensorsFile(join(dir, 'model.safetensors'));
    const names = [...st.entries.keys()];
    assert.ok(names.some((n) => st.entries.get(n)!.dtype === dtype));
    const f32dir = tmp();
    writeSafetensors(join(f32dir, 'model.safetensors'), names.map((n) => { const w = st.read(n); return f32Weight(n, w.shape, toF32(w)); }));
    st.close();
    copyFileSync(join(dir, 'config.json'), join(f32dir, 'config.json'));
    const ids = [4, 50, 96, 3, 11];
    const a = await loadModel(dir, new RefBackend());
    const b = await loadModel(f32dir, new RefBackend());
    const la = a.forward([{ memory: a.newSequence(), tokens: ids }], { logits: 'all' });
    const lb = b.forward([{ memory: b.newSequence(), tokens: ids }], { logits: 'all' });
    assert.equal(maxAbsDiff(la, lb), 0, dtype);
  }
});
