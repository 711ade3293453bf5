/**
 * `jamba train` end to end on a slice of TinyStories with a tiny hybrid config: the output folder
 * loads in the inference model and the tokenizer path, the held-out loss is reported, the loss plot
 * is written, and a run interrupted and resumed from its checkpoint ends bit-identical to an
 * uninterrupted one (parameters, optimizer moments, data order).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RefBackend } from '../../src/backends/ref/index.js';
import { main } from '../../src/cli/main.js';
import { JambaUserError } from '../../src/errors.js';
import { loadModel } from '../../src/model/load.js';
import { loadTokenizer } from '../../src/tokenizer/load.js';
import { parseRecipe } from '../../src/train/recipe.js';
import { runTraining } from '../../src/train/trainer.js';
import { SHARED } from '../helpers/reference.js';

const RECIPE = {
  model: {
    hidden_size: 16, intermediate_size: 24, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 2,
    attn_layer_period: 4, attn_layer_offset: 2, expert_layer_period: 2, expert_layer_offset: 1, num_experts: 3, num_experts_per_tok: 2,
    mamba_d_state: 4, mamba_d_conv: 4, mamba_expand: 2, mamba_dt_rank: 2,
  },
  tokenizer: { vocab_size: 320 },
  training: { seq_len: 32, batch_size: 2, grad_accum: 2, steps: 6, lr: 0.01, min_lr: 0.001, warmup_steps: 2, eval_every: 3, eval_batches: 2, save_every: 3, val_fraction: 0.1 },
};

function setup(): { dir: string; data: string; cfg: string } {
  const dir = mkdtempSync(join(tmpdir(), 'jamba-train-'));
  const text = readFileSync(join(SHARED, 'data', 'tinystories', 'tinystories_sample.txt'), 'utf8');
  const data = join(dir, 'stories.txt');
  writeFileSync(data, text.split('<|endoftext|>').slice(0, 40).join('<|endoftext|>') + '<|endoftext|>\n');
  const cfg = join(dir, 'recipe.json');
  writeFileSync(cfg, JSON.stringify(RECIPE));
  return { dir, data, cfg };
}

test('jamba train writes an HF folder every command loads, with loss curve and held-out loss', async () => {
  const { dir, data, cfg } = setup();
  try {
    const out = join(dir, 'out');
    let stdout = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => { stdout += s; return true; }) as typeof process.stdout.write;
    let code: number;
    try { code = await main(['train', '--config', cfg, '--data', data, '--out', out, '--quiet']); } finally { process.stdout.write = write; }
    assert.equal(code, 0);
    const summary = JSON.parse(stdout);
    assert.equal(summary.step, 6);
    assert.ok(Number.isFinite(summary.val_loss) && summary.val_loss < Math.log(320), `held-out loss ${summary.val_loss} below uniform`);
    const model = await loadModel(out, new RefBackend());
    const tok = await loadTokenizer(out);
    const ids = tok.encode('Once upon a time');
    assert.equal(ids[0], 1);
    const logits = model.forward([{ memory: model.newSequence(), tokens: ids }]);
    assert.equal(logits.length, 320);
    const svg = readFileSync(join(out, 'loss.svg'), 'utf8');
    assert.ok(svg.startsWith('<svg') && svg.includes('<path') && svg.includes('held-out loss'));
    const log = readFileSync(join(out, 'train-log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(log.length, 6);
    assert.equal(log.filter((h: { val?: number }) => h.val !== undefined).length, 2);
    await assert.rejects(main(['train', '--config', cfg, '--out', out]), JambaUserError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a resumed run is bit-identical to an uninterrupted one', async () => {
  const { dir, data } = setup();
  try {
    const recipe = () => parseRecipe(JSON.parse(JSON.stringify(RECIPE)), 'recipe');
    const a = join(dir, 'a'), b = join(dir, 'b');
    const ra = await runTraining({ recipe: recipe(), dataFiles: [data], outDir: a, out: null });
    const first = await runTraining({ recipe: recipe(), dataFiles: [data], outDir: b, out: null, maxSteps: 3 });
    assert.equal(first.step, 3);
    const rb = await runTraining({ recipe: recipe(), dataFiles: [data], outDir: b, out: null, resume: true });
    assert.equal(rb.step, 6);
    assert.deepEqual(rb.history.map((h) => [h.loss, h.val]), ra.history.map((h) => [h.loss, h.val]));
    for (const f of ['model.safetensors', 'checkpoint/optimizer.safetensors', 'tokenizer.json']) {
      assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs`);
    }
    const other = parseRecipe({ ...RECIPE, training: { ...RECIPE.training, lr: 0.02 } }, 'recipe');
    await assert.rejects(runTraining({ recipe: other, dataFiles: [data], outDir: b, out: null, resume: true }), /different config/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
