/**
 * `jamba convert` as a user runs it (bin/jamba.js): split flags and their bad values, and the
 * requantizing rules (refused without --allow-requantize, a warning with it even under --quiet;
 * dequantising and same-type copies need no flag).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GgufFile } from '../../src/io/gguf/index.js';
import { isUserError, jamba } from '../helpers/cli.js';
import { referenceDir } from '../helpers/reference.js';

const HF = referenceDir('hybrid-moe');
const dir = mkdtempSync(join(tmpdir(), 'jamba-convert-cli-'));

function tensorTypes(path: string): Map<string, string> {
  const g = new GgufFile(path);
  try {
    return new Map(g.tensors.map((t) => [t.name, t.dtype]));
  } finally {
    g.close();
  }
}

test('bad split values exit 2 with one line naming the flag, before anything is written', () => {
  const out = join(dir, 'bad.gguf');
  for (const [flag, value, re] of [
    ['--split-max-size', '0', /--split-max-size must be greater than 0/],
    ['--split-max-size', '12X', /--split-max-size '12X' is not a size/],
    ['--split-max-size', '-5M', /--split-max-size '-5M' is not a size/],
    ['--split-max-tensors', '-1', /--split-max-tensors must be at least 1, got -1/],
    ['--split-max-tensors', '0', /--split-max-tensors must be at least 1, got 0/],
    ['--split-max-tensors', 'many', /--split-max-tensors must be an integer, got 'many'/],
  ] as const) {
    const r = jamba(['convert', HF, out, '--type', 'f32', flag, value]);
    assert.equal(isUserError(r, re), null, `${flag} ${value}`);
  }
  assert.ok(!readdirSync(dir).some((f) => f.startsWith('bad')));
});

test('--split-max-tensors and --split-max-size write a loadable split set', () => {
  const r = jamba(['convert', HF, join(dir, 'split.gguf'), '--type', 'q8_0', '--split-max-tensors', '20', '--split-max-size', '1M', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const parts = readdirSync(dir).filter((f) => f.startsWith('split-')).sort();
  assert.ok(parts.length >= 2, parts.join(' '));
  assert.deepEqual(parts, parts.map((_, i) => `split-${String(i + 1).padStart(5, '0')}-of-${String(parts.length).padStart(5, '0')}.gguf`));
  assert.ok(!existsSync(join(dir, 'split.gguf')));
  const info = jamba(['info', '--model', join(dir, parts[1]!)]);
  assert.equal(info.code, 0, info.stderr);
  const said = jamba(['convert', HF, join(dir, 'said.gguf'), '--type', 'f32', '--split-max-size', '40K']);
  assert.equal(said.code, 0, said.stderr);
  assert.match(said.stderr, /wrote \d+ files .*said-00001-of-000\d\d\.gguf … .*said-000\d\d-of-000\d\d\.gguf: \d+ tensors/);
});

test('requantizing a quantised GGUF is refused without --allow-requantize, and warns with it', () => {
  const q8 = join(dir, 'q8.gguf');
  assert.equal(jamba(['convert', HF, q8, '--type', 'q8_0', '--quiet']).code, 0);

  const refused = jamba(['convert', q8, join(dir, 'q4.gguf'), '--type', 'q4_0']);
  assert.equal(isUserError(refused, /already quantised as Q8_0 .*--type q4_0 would requantize .*--allow-requantize/), null);
  assert.ok(!existsSync(join(dir, 'q4.gguf')));

  const allowed = jamba(['convert', q8, join(dir, 'q4.gguf'), '--type', 'q4_0', '--allow-requantize', '--quiet']);
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stderr, /^warning: requantizing: \d+ tensors are already quantised as Q8_0 .*quality will be worse than quantising from the original/m);
  assert.equal(tensorTypes(join(dir, 'q4.gguf')).get('blk.0.ssm_in.weight'), 'q4_0');
});

test('dequantising and same-type conversion need no flag; same type copies the bytes', () => {
  const q8 = join(dir, 'q8b.gguf');
  assert.equal(jamba(['convert', HF, q8, '--type', 'q8_0', '--quiet']).code, 0);
  for (const type of ['f32', 'f16', 'bf16']) {
    const r = jamba(['convert', q8, join(dir, `deq-${type}.gguf`), '--type', type, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', `${type}: no warning`);
  }
  const copy = join(dir, 'copy.gguf');
  const r = jamba(['convert', q8, copy, '--type', 'q8_0', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const a = new GgufFile(q8), b = new GgufFile(copy);
  try {
    assert.deepEqual(b.tensors.map((t) => [t.name, t.dtype]), a.tensors.map((t) => [t.name, t.dtype]));
    for (const t of a.tensors) assert.deepEqual(b.read(b.tensors.find((x) => x.name === t.name)!), a.read(t), t.name);
  } finally {
    a.close();
    b.close();
  }
});

test('a source whose file type is the target keeps its own quantised mix (copied, not requantized)', async () => {
  const { convertCheckpoint } = await import('../../src/io/convert.js');
  const { GgufTensorSource, gv, openGgufCheckpoint } = await import('../../src/io/gguf/index.js');
  const q8 = join(dir, 'q8c.gguf');
  assert.equal(jamba(['convert', HF, q8, '--type', 'q8_0', '--quiet']).code, 0);
  const ck = openGgufCheckpoint(q8);
  assert.ok(ck.tensors instanceof GgufTensorSource);
  ck.tensors.model.metadata.set('general.file_type', gv.u32(2)); // as if a Q4_0 file with Q8_0 tensors in it
  const out = join(dir, 'mix.gguf');
  const warnings: string[] = [];
  try {
    const rep = convertCheckpoint(ck, out, 'q4_0', { warn: (m) => warnings.push(m) });
    assert.equal(rep.requantized, undefined);
  } finally {
    ck.tensors.close?.();
  }
  assert.deepEqual(warnings, []);
  assert.deepEqual(tensorTypes(out), tensorTypes(q8));
});
