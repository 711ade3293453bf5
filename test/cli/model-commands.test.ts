/** The command-line contracts of `jamba logits`, `generate` and `info`, and their user errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jamba, isUserError } from '../helpers/cli.js';
import { maxAbsDiff, readF32, referenceCases, referenceDir } from '../helpers/reference.js';
import { SafetensorsFile } from '../../src/io/safetensors.js';
import { writeSafetensors } from '../../src/io/safetensors-write.js';
import { f32Weight } from '../../src/tensor/weight.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'jamba-cli-'));
const CFG = 'jamba-v0.1-layout';

function f32File(path: string): Float32Array {
  const b = readFileSync(path);
  const f = new Float32Array(b.byteLength / 4);
  new Uint8Array(f.buffer).set(b);
  return f;
}

test('logits writes [sequences, tokens, vocab] float32 equal to the reference', () => {
  const c = referenceCases(CFG).find((x) => x.name === 'batch2')!;
  const out = join(tmp(), 'l.f32');
  const r = jamba(['logits', '--model', referenceDir(CFG), ...c.input_ids.flatMap((ids) => ['--ids', ids.join(',')]), '--out', out, '--backend', 'ref']);
  assert.equal(r.code, 0, r.stderr);
  const got = f32File(out);
  assert.equal(got.length, 2 * c.seq_len * 512);
  assert.ok(maxAbsDiff(got, readF32(CFG, c.logits)) < 1e-4);
});

test('generate prints the greedy ids and writes step logits', () => {
  const c = referenceCases(CFG).find((x) => x.name === 'batch2')!;
  const steps = join(tmp(), 's.f32');
  const r = jamba(['generate', '--model', referenceDir(CFG), ...c.input_ids.flatMap((ids) => ['--ids', ids.join(',')]), '--max-tokens', '16', '--greedy', '--json', '--ignore-eos', '--step-logits', steps]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { ids: c.generated_ids });
  assert.ok(maxAbsDiff(f32File(steps), readF32(CFG, c.step_logits)) < 1e-4);
});

test('generate stops at EOS (kept) unless --ignore-eos; later step rows are zero', () => {
  // Make the model's own first greedy token its EOS: a config copy with that eos id.
  const c = referenceCases(CFG).find((x) => x.name === 'short')!;
  const dir = tmp();
  const cfg = JSON.parse(readFileSync(join(referenceDir(CFG), 'config.json'), 'utf8'));
  cfg.eos_token_id = c.generated_ids[0]![2];
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  copyFileSync(join(referenceDir(CFG), 'model.safetensors'), join(dir, 'model.safetensors'));
  const steps = join(dir, 's.f32');
  const r = jamba(['generate', '--model', dir, '--ids', c.input_ids[0]!.join(','), '--max-tokens', '6', '--greedy', '--json', '--step-logits', steps]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).ids, [c.generated_ids[0]!.slice(0, 3)]);
  const s = f32File(steps);
  assert.equal(s.length, 6 * 512);
  assert.ok(s.subarray(2 * 512, 3 * 512).some((v) => v !== 0));
  assert.ok(s.subarray(3 * 512).every((v) => v === 0));
});

test('info reports plan, parameters and memory', () => {
  const r = jamba(['info', '--model', referenceDir('hybrid-moe'), '--json', '--context', '1000']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(j.plan.map((p: { mixer: string; ffn: string }) => `${p.mixer}+${p.ffn}`), ['mamba+dense', 'attention+moe', 'mamba+dense', 'attention+moe']);
  // 2 attention layers × K and V × 2 KV heads × 16 dims × 4 bytes
  assert.equal(j.bytes.kvPerToken, 2 * 2 * 2 * 16 * 4);
  // 2 Mamba layers × (conv 128×3 + ssm 128×16) × 4 bytes
  assert.equal(j.bytes.recurrentPerSequence, 2 * (128 * 3 + 128 * 16) * 4);
  assert.equal(j.params.total, 402312);
  // Each MoE layer holds 4 experts of 3·128·64 params and runs 2 of them.
  assert.equal(j.params.total - j.params.activePerToken, 2 * 2 * 3 * 128 * 64);
  assert.equal(j.memoryAtContext.kv, 1000 * j.bytes.kvPerToken);
});

/** A copy of the hybrid-moe folder with its tensors changed by `edit`. */
function brokenModel(edit: (tensors: Map<string, ReturnType<SafetensorsFile['read']>>) => void, configEdit?: (c: Record<string, unknown>) => void): string {
  const src = referenceDir('hybrid-moe');
  const st = new SafetensorsFile(join(src, 'model.safetensors'));
  const m = new Map([...st.entries.keys()].map((n) => [n, st.read(n)] as const));
  st.close();
  edit(m);
  const dir = tmp();
  writeSafetensors(join(dir, 'model.safetensors'), [...m.values()]);
  const cfg = JSON.parse(readFileSync(join(src, 'config.json'), 'utf8'));
  configEdit?.(cfg);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  return dir;
}

const userErrors: [string, () => string[], RegExp][] = [
  ['unknown flag', () => ['logits', '--model', referenceDir(CFG), '--ids', '1,2', '--out', '/dev/null', '--frobnicate'], /unknown flag --frobnicate/],
  ['unknown command', () => ['frobnicate'], /unknown command 'frobnicate'/],
  ['missing model', () => ['generate', '--model', '/no/such/model', '--ids', '1', '--max-tokens', '1'], /model not found: \/no\/such\/model/],
  ['ids of different lengths', () => ['logits', '--model', referenceDir(CFG), '--ids', '1,2', '--ids', '1,2,3', '--out', '/dev/null'], /same length/],
  ['bad id', () => ['logits', '--model', referenceDir(CFG), '--ids', '1,x', '--out', '/dev/null'], /'x' is not a token id/],
  ['id outside vocab', () => ['logits', '--model', referenceDir(CFG), '--ids', '1,600', '--out', '/dev/null'], /token id 600 is outside the vocabulary \(0\.\.511\)/],
  ['bad backend', () => ['logits', '--model', referenceDir(CFG), '--ids', '1', '--out', '/dev/null', '--backend', 'gpu'], /--backend must be auto, native or ref/],
  ['ctx-size exceeded', () => ['generate', '--model', referenceDir(CFG), '--ids', '1,2,3', '--max-tokens', '8', '--ctx-size', '10'], /needs 11 tokens, more than --ctx-size 10/],
  ['missing tensor', () => ['logits', '--model', brokenModel((m) => m.delete('model.layers.1.self_attn.k_proj.weight')), '--ids', '1', '--out', '/dev/null'], /missing tensor model\.layers\.1\.self_attn\.k_proj\.weight \(expected shape \[32, 64\]\)/],
  ['wrong shape', () => ['logits', '--model', brokenModel((m) => m.set('model.layers.0.mamba.D', f32Weight('model.layers.0.mamba.D', [127], new Float32Array(127)))), '--ids', '1', '--out', '/dev/null'], /tensor model\.layers\.0\.mamba\.D has shape \[127\], expected \[128\]/],
  ['unexpected tensor', () => ['logits', '--model', brokenModel((m) => m.set('model.layers.0.extra', f32Weight('model.layers.0.extra', [2], [1, 2]))), '--ids', '1', '--out', '/dev/null'], /unexpected tensor model\.layers\.0\.extra/],
  ['inconsistent config', () => ['logits', '--model', brokenModel(() => {}, (c) => { c.num_key_value_heads = 3; }), '--ids', '1', '--out', '/dev/null'], /config\.json: num_attention_heads \(4\) must be divisible by num_key_value_heads \(3\)/],
  ['truncated weights', () => {
    const dir = brokenModel(() => {});
    const p = join(dir, 'model.safetensors');
    const b = readFileSync(p);
    writeFileSync(p, b.subarray(0, b.length - 100));
    return ['logits', '--model', dir, '--ids', '1', '--out', '/dev/null'];
  }, /model\.safetensors: tensor .* past the end of the data/],
];
for (const [what, args, re] of userErrors) {
  test(`user error: ${what} → exit 2, one line`, () => {
    const problem = isUserError(jamba(args()), re);
    assert.equal(problem, null, problem ?? '');
  });
}
