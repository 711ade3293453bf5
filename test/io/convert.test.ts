/**
 * jamba convert and the GGUF Jamba mapping (src/io/convert*.ts, src/io/gguf/jamba-*.ts, source.ts):
 * HF folder → GGUF → TensorSource gives the same tensors (bit for bit for f32/bf16, and exactly our
 * quantizer's bytes for block types); the model run from its own F32 GGUF reproduces HF's logits and
 * the safetensors path's logits; llama.cpp's type rules, refusals, placeholder vocabulary and bad
 * inputs (other architecture, missing tensor).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JambaUserError } from '../../src/errors.js';
import { openFolderCheckpoint } from '../../src/io/checkpoint.js';
import type { Checkpoint, TensorSource } from '../../src/io/source.js';
import { convertCheckpoint } from '../../src/io/convert.js';
import { CONVERT_TYPES, chooseTypes } from '../../src/io/convert-types.js';
import { GgufFile, findPeriod, gv, openGgufCheckpoint, writeGguf, type GgufMetadata } from '../../src/io/gguf/index.js';
import { layerPlan, parseConfig } from '../../src/model/config.js';
import { JambaModel } from '../../src/model/jamba.js';
import { loadWeights } from '../../src/model/weights.js';
import { RefBackend } from '../../src/backends/ref/index.js';
import { toF32 } from '../../src/tensor/dequant.js';
import { quantizeRows } from '../../src/tensor/quant/index.js';
import { maxAbsDiff, readF32, referenceCases, referenceDir } from '../helpers/reference.js';

const dir = mkdtempSync(join(tmpdir(), 'jamba-convert-test-'));
let n = 0;
const out = (tag: string) => join(dir, `${n++}-${tag}.gguf`);

function openHf(name: string): Checkpoint {
  return openFolderCheckpoint(referenceDir(name));
}

function model(ck: Checkpoint): JambaModel {
  const config = parseConfig(ck.config, 'test');
  return new JambaModel(config, loadWeights(config, ck.tensors), new RefBackend());
}

function shortLogits(m: JambaModel, cfg: string): { got: Float32Array; ref: Float32Array } {
  const c = referenceCases(cfg).find((x) => x.name === 'short')!;
  const got = m.forward(c.input_ids.map((ids) => ({ memory: m.newSequence(), tokens: ids })), { logits: 'all' });
  return { got, ref: readF32(cfg, c.logits) };
}

test('findPeriod recovers period/offset schedules and rejects irregular ones', () => {
  const pat = (L: number, p: number, o: number) => Array.from({ length: L }, (_, i) => i % p === o);
  assert.deepEqual(findPeriod(pat(32, 8, 4)), { period: 8, offset: 4 });
  assert.deepEqual(findPeriod(pat(4, 2, 1)), { period: 2, offset: 1 });
  assert.deepEqual(findPeriod(pat(8, 8, 4)), { period: 8, offset: 4 });
  assert.deepEqual(findPeriod(pat(6, 1, 0)), { period: 1, offset: 0 });
  const none = findPeriod(pat(5, 9, 7))!; // no layer matches
  assert.ok(pat(5, none.period, none.offset).every((x) => !x) && none.offset < none.period);
  assert.equal(findPeriod([true, false, true, true]), undefined);
});

for (const cfg of ['hybrid-moe', 'jamba-v0.1-layout', 'bf16-weights']) {
  test(`${cfg}: HF folder → F32 GGUF → TensorSource gives identical tensors, config and logits`, () => {
    const hf = openHf(cfg);
    const path = out(cfg);
    const report = convertCheckpoint(hf, path, 'f32');
    assert.match(report.placeholderVocab ?? '', /has no tokenizer files; wrote a placeholder vocabulary of 512 tokens/);
    const gg = openGgufCheckpoint(path);
    try {
      const a = parseConfig(hf.config, 'hf');
      const b = parseConfig(gg.config, 'gguf');
      assert.deepEqual(layerPlan(b), layerPlan(a));
      for (const k of ['vocabSize', 'hiddenSize', 'intermediateSize', 'numHiddenLayers', 'numAttentionHeads', 'numKeyValueHeads', 'numExperts', 'numExpertsPerTok', 'mambaDState', 'mambaDConv', 'mambaExpand', 'mambaDtRank', 'mambaConvBias', 'mambaProjBias', 'tieWordEmbeddings', 'rmsNormEps', 'bosTokenId', 'eosTokenIds', 'padTokenId'] as const) {
        assert.deepEqual(b[k], a[k], k);
      }
      const names = hf.tensors.names();
      assert.equal(gg.tensors.names().length, names.length);
      for (const name of names) {
        const want = toF32(hf.tensors.load(name));
        if (name.endsWith('.A_log')) {
          const A = gg.tensors.load(name.replace(/A_log$/, 'A'));
          assert.deepEqual(toF32(A), want.map((x) => -Math.exp(x)), name);
          continue;
        }
        const w = gg.tensors.load(name);
        assert.equal(w.dtype, 'f32', name);
        assert.deepEqual(w.shape, hf.tensors.info(name)!.shape, name);
        assert.deepEqual(toF32(w), want, name);
      }
      const viaGguf = shortLogits(model(gg), cfg);
      const viaHf = shortLogits(model(openHf(cfg)), cfg);
      assert.ok(maxAbsDiff(viaGguf.got, viaGguf.ref) < 1e-4, 'GGUF path matches HF reference');
      assert.deepEqual(viaGguf.got, viaHf.got, 'GGUF path gives the same logits as the safetensors path');
    } finally {
      gg.tensors.close?.();
    }
  });
}

test('bf16 weights convert to a bf16 GGUF byte for byte; stacked experts are zero-copy slices', () => {
  const hf = openHf('bf16-weights');
  const path = out('bf16');
  convertCheckpoint(hf, path, 'bf16');
  const gg = openGgufCheckpoint(path);
  try {
    const q = gg.tensors.load('model.layers.0.mamba.in_proj.weight');
    assert.equal(q.dtype, 'bf16');
    assert.deepEqual(q.data, hf.tensors.load('model.layers.0.mamba.in_proj.weight').data);
    const e0 = gg.tensors.load('model.layers.1.feed_forward.experts.0.down_proj.weight');
    const e3 = gg.tensors.load('model.layers.1.feed_forward.experts.3.down_proj.weight');
    assert.equal(e0.data.buffer, e3.data.buffer, 'experts share one buffer');
    assert.deepEqual(e3.data, hf.tensors.load('model.layers.1.feed_forward.experts.3.down_proj.weight').data);
    assert.equal(gg.tensors.info('model.layers.0.mamba.norm.weight'), undefined);
  } finally {
    gg.tensors.close?.();
  }
});

test('every --type writes the bytes our (llama.cpp-exact) quantizers produce, and the file loads', () => {
  const hf = openHf('hybrid-moe');
  for (const type of CONVERT_TYPES) {
    const path = out(type);
    const report = convertCheckpoint(hf, path, type);
    const gg = openGgufCheckpoint(path);
    try {
      const byName = new Map(report.tensors.map((t) => [t.name, t]));
      // token_embd: rows of 64 → q5_0 under q4_k*, q5_1 under q5_k*, q8_0 for q6_k (fallbacks), else the base type.
      const emb = gg.tensors.load('model.embed_tokens.weight');
      assert.equal(emb.dtype, byName.get('token_embd.weight')!.dtype);
      const src = toF32(hf.tensors.load('model.embed_tokens.weight'));
      if (emb.dtype !== 'f32' && emb.dtype !== 'f16' && emb.dtype !== 'bf16') {
        assert.deepEqual(emb.data, quantizeRows(emb.dtype, src, 64), `${type}: token_embd bytes`);
      }
      assert.equal(gg.tensors.load('model.layers.0.mamba.conv1d.weight').dtype, 'f32', `${type}: conv1d stays f32`);
      assert.equal(gg.tensors.load('model.layers.0.mamba.A').dtype, 'f32', `${type}: ssm_a stays f32`);
      assert.equal(gg.tensors.load('model.layers.1.feed_forward.router.weight').dtype, 'f32', `${type}: router stays f32`);
      assert.equal(gg.tensors.load('model.layers.3.input_layernorm.weight').dtype, 'f32', `${type}: norms stay f32`);
      // The model loads and runs from every file.
      const { got, ref } = shortLogits(model(gg), 'hybrid-moe');
      assert.ok(got.every(Number.isFinite) && got.length === ref.length, `${type}: logits`);
      const g = new GgufFile(path);
      assert.equal(g.metadata.get('general.file_type')?.value, { f32: 0, f16: 1, bf16: 32, q8_0: 7, q4_0: 2, q4_1: 3, q5_0: 8, q5_1: 9, q4_k: 15, q4_k_m: 15, q5_k: 17, q5_k_m: 17, q6_k: 18 }[type]);
      g.close();
    } finally {
      gg.tensors.close?.();
    }
  }
});

test('llama.cpp type rules: Q4_K_M / Q5_K_M mixes, output Q6_K, 8-expert rules, fallbacks', () => {
  // A Jamba-v0.1-like shape list: 32 layers, attention at i % 8 == 4, MoE on odd layers, H = 4096.
  const t: { name: string; ne: number[] }[] = [{ name: 'token_embd.weight', ne: [4096, 65536] }, { name: 'output.weight', ne: [4096, 65536] }, { name: 'output_norm.weight', ne: [4096] }];
  for (let i = 0; i < 32; i++) {
    const b = `blk.${i}.`;
    if (i % 8 === 4) for (const p of ['attn_q', 'attn_k', 'attn_v', 'attn_output']) t.push({ name: `${b}${p}.weight`, ne: [4096, p === 'attn_k' || p === 'attn_v' ? 1024 : 4096] });
    else t.push({ name: `${b}ssm_in.weight`, ne: [4096, 16384] }, { name: `${b}ssm_conv1d.weight`, ne: [4, 8192] }, { name: `${b}ssm_a`, ne: [16, 8192] }, { name: `${b}ssm_dt.weight`, ne: [256, 8192] });
    t.push({ name: i % 2 ? `${b}ffn_down_exps.weight` : `${b}ffn_down.weight`, ne: i % 2 ? [14336, 4096, 16] : [14336, 4096] });
  }
  const km = chooseTypes('q4_k_m', t, 32, 16).types;
  assert.equal(km.get('output.weight'), 'q6_k');
  assert.equal(km.get('token_embd.weight'), 'q4_k');
  assert.equal(km.get('output_norm.weight'), 'f32');
  assert.equal(km.get('blk.0.ssm_conv1d.weight'), 'f32');
  assert.equal(km.get('blk.0.ssm_a'), 'f32');
  assert.equal(km.get('blk.0.ssm_dt.weight'), 'q4_k');
  // use_more_bits(i, 32): i < 4, i >= 28, or (i - 4) % 3 == 2 → 0-3, 6, 9, …, 27, 28-31.
  const more = [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31];
  for (let i = 0; i < 32; i++) {
    const name = i % 2 ? `blk.${i}.ffn_down_exps.weight` : `blk.${i}.ffn_down.weight`;
    assert.equal(km.get(name), more.includes(i) ? 'q6_k' : 'q4_k', name);
  }
  // attn_v is counted over the 4 attention layers in name order (blk.12, blk.20, blk.28, blk.4), and
  // use_more_bits(j, 4) holds for j >= 3 and for (j - 0) % 3 == 2: j = 2, 3.
  assert.deepEqual(['blk.12', 'blk.20', 'blk.28', 'blk.4'].map((b) => km.get(`${b}.attn_v.weight`)), ['q4_k', 'q4_k', 'q6_k', 'q6_k']);
  const q5 = chooseTypes('q5_k_m', t, 32, 16).types;
  assert.equal(q5.get('blk.3.ffn_down_exps.weight'), 'q6_k');
  assert.equal(q5.get('blk.5.ffn_down_exps.weight'), 'q5_k');
  const q40 = chooseTypes('q4_0', t, 32, 16).types;
  assert.equal(q40.get('output.weight'), 'q6_k');
  assert.equal(q40.get('blk.0.ffn_down.weight'), 'q4_0');
  const q8 = chooseTypes('q8_0', t, 32, 16).types;
  assert.equal(q8.get('output.weight'), 'q8_0');
  // Exactly 8 experts: attn_v / attn_k → q8_0, attn_output → q5_k under Q4_K_M.
  const e8 = chooseTypes('q4_k_m', t, 32, 8).types;
  assert.equal(e8.get('blk.4.attn_v.weight'), 'q8_0');
  assert.equal(e8.get('blk.4.attn_k.weight'), 'q8_0');
  assert.equal(e8.get('blk.4.attn_output.weight'), 'q5_k');
  // Tied embeddings: token_embd takes the output rule.
  const tied = chooseTypes('q4_k_m', t.filter((x) => x.name !== 'output.weight'), 32, 16).types;
  assert.equal(tied.get('token_embd.weight'), 'q6_k');
  // Fallbacks: rows of 4096+32 are not 256-blocks.
  const odd = chooseTypes('q4_k_m', [{ name: 'blk.0.ssm_in.weight', ne: [4128, 8] }, { name: 'blk.0.ssm_out.weight', ne: [20, 8] }, { name: 'output.weight', ne: [4128, 8] }], 1, 1);
  assert.equal(odd.types.get('blk.0.ssm_in.weight'), 'q5_0');
  assert.equal(odd.types.get('blk.0.ssm_out.weight'), 'f16');
  assert.equal(odd.types.get('output.weight'), 'q8_0');
  assert.equal(odd.fallbacks.length, 2, 'output.weight takes q8_0 by the output rule, not as a fallback');
  assert.equal(chooseTypes('q5_k', [{ name: 'a.weight', ne: [4128, 8] }], 1, 1).types.get('a.weight'), 'q5_1');
  assert.equal(chooseTypes('q6_k', [{ name: 'a.weight', ne: [4128, 8] }], 1, 1).types.get('a.weight'), 'q8_0');
  assert.equal(chooseTypes('f16', [{ name: 'blk.0.ffn_gate_inp.weight', ne: [4096, 16] }], 1, 16).types.get('blk.0.ffn_gate_inp.weight'), 'f32');
});

test('models llama.cpp cannot express are refused with the reason', () => {
  assert.throws(() => convertCheckpoint(openHf('dense-tied'), out('dense-tied'), 'f32'),
    (e: unknown) => e instanceof JambaUserError && /mamba_conv_bias is false/.test(e.message) && /mamba_proj_bias is true/.test(e.message));
  const hf = openHf('hybrid-moe');
  assert.throws(() => convertCheckpoint({ ...hf, config: { ...hf.config, hidden_act: 'gelu' } }, out('gelu'), 'f32'), /always uses SiLU/);
  assert.throws(() => convertCheckpoint({ ...hf, config: { ...hf.config, mamba_expand: 3 } }, out('expand'), 'f32'), /mamba_expand is 3/);
});

test('the placeholder vocabulary has vocab_size distinct tokens with the config special ids', () => {
  const path = out('vocab');
  convertCheckpoint(openHf('hybrid-moe'), path, 'q8_0');
  const g = new GgufFile(path);
  try {
    const tokens = g.metadata.get('tokenizer.ggml.tokens')!.value as string[];
    const types = g.metadata.get('tokenizer.ggml.token_type')!.value as Int32Array;
    assert.equal(g.metadata.get('tokenizer.ggml.model')?.value, 'llama');
    assert.equal(tokens.length, 512);
    assert.equal(new Set(tokens).size, 512);
    assert.equal((g.metadata.get('tokenizer.ggml.scores')!.value as Float32Array).length, 512);
    assert.deepEqual([0, 1, 2].map((i) => [tokens[i], types[i]]), [['<pad>', 3], ['<s>', 3], ['</s>', 3]]);
    assert.equal(g.metadata.get('tokenizer.ggml.bos_token_id')?.value, 1);
    assert.equal(g.metadata.get('tokenizer.ggml.eos_token_id')?.value, 2);
    assert.equal(tokens[g.metadata.get('tokenizer.ggml.unknown_token_id')!.value as number], '<unk>');
    assert.ok(tokens.includes('<0x0A>'), 'byte tokens present');
    assert.deepEqual(Array.from(g.metadata.get('jamba.attention.head_count_kv')!.value as Int32Array), [0, 2, 0, 2]);
  } finally {
    g.close();
  }
});

test('GGUF → GGUF conversion keeps the tokenizer and re-quantizes from the decoded weights', () => {
  const f32 = out('src');
  convertCheckpoint(openHf('hybrid-moe'), f32, 'f32');
  const meta = new GgufFile(f32);
  const tokens = meta.metadata.get('tokenizer.ggml.tokens');
  meta.close();
  const src = openGgufCheckpoint(f32);
  const q8 = out('q8-from-gguf');
  const rep = convertCheckpoint(src, q8, 'q8_0');
  src.tensors.close?.();
  assert.equal(rep.placeholderVocab, undefined);
  const direct = out('q8-direct');
  convertCheckpoint(openHf('hybrid-moe'), direct, 'q8_0');
  const a = new GgufFile(q8), b = new GgufFile(direct);
  try {
    assert.deepEqual(a.metadata.get('tokenizer.ggml.tokens'), tokens);
    for (const t of a.tensors) assert.deepEqual(a.read(t), b.read(b.tensors.find((x) => x.name === t.name)!), t.name);
  } finally {
    a.close();
    b.close();
  }
});

/** A copy of a converted file's tensors and metadata with changes, written as a new GGUF. */
function rewrite(path: string, edit: (meta: GgufMetadata, names: string[]) => string[]): string {
  const f = new GgufFile(path);
  const meta = new Map(f.metadata);
  const keep = edit(meta, f.tensors.map((t) => t.name));
  const p = out('rewritten');
  writeGguf(p, meta, f.tensors.filter((t) => keep.includes(t.name)).map((t) => ({ name: t.name, dtype: t.dtype, ne: [...t.ne], data: () => [f.read(t)] })));
  f.close();
  return p;
}

test('another architecture, a missing tensor or a missing key fail with a clear JambaUserError', () => {
  const base = out('base');
  convertCheckpoint(openHf('hybrid-moe'), base, 'f32');
  const llama = rewrite(base, (m, names) => { m.set('general.architecture', gv.str('llama')); return names; });
  assert.throws(() => openGgufCheckpoint(llama), (e: unknown) => e instanceof JambaUserError && /is a 'llama' model; jamba-ts reads only 'jamba'/.test(e.message));
  const noKey = rewrite(base, (m, names) => { m.delete('jamba.ssm.state_size'); return names; });
  assert.throws(() => openGgufCheckpoint(noKey), /GGUF key jamba\.ssm\.state_size is missing/);
  const missing = rewrite(base, (_m, names) => names.filter((x) => x !== 'blk.2.ssm_out.weight'));
  const ck = openGgufCheckpoint(missing);
  try {
    assert.throws(() => model(ck), (e: unknown) => e instanceof JambaUserError && /missing tensor model\.layers\.2\.mamba\.out_proj\.weight/.test(e.message));
  } finally {
    ck.tensors.close?.();
  }
});

test('a source missing a tensor cannot be converted', () => {
  const hf = openHf('hybrid-moe');
  const src: TensorSource = {
    origin: 'partial',
    names: () => hf.tensors.names().filter((x) => x !== 'model.layers.1.feed_forward.experts.2.up_proj.weight'),
    info: (name) => (name === 'model.layers.1.feed_forward.experts.2.up_proj.weight' ? undefined : hf.tensors.info(name)),
    load: (name) => hf.tensors.load(name),
  };
  assert.throws(() => convertCheckpoint({ config: hf.config, tensors: src }, out('partial'), 'f32'), /partial: missing tensor model\.layers\.1\.feed_forward\.experts\.2\.up_proj\.weight/);
});
