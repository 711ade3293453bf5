/**
 * llama.cpp (node-llama-cpp, CPU, as gguf-llama-cpp.test.ts sets it up) loads a split set written by
 * `jamba convert --split-max-tensors` from its first part, and gives the same next-token probabilities
 * as on the unsplit file (and as jamba-ts on the split set). One fixture, one short sequence: fast.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, LlamaLogLevel, type ControlledEvaluateInputItem, type Llama, type Token } from 'node-llama-cpp';
import { openFolderCheckpoint } from '../../src/io/checkpoint.js';
import { convertCheckpoint } from '../../src/io/convert.js';
import { openGgufCheckpoint } from '../../src/io/gguf/index.js';
import { parseConfig } from '../../src/model/config.js';
import { JambaModel } from '../../src/model/jamba.js';
import { loadWeights } from '../../src/model/weights.js';
import { RefBackend } from '../../src/backends/ref/index.js';
import { referenceCases, referenceDir } from '../helpers/reference.js';

const CFG = 'hybrid-moe';
const dir = mkdtempSync(join(tmpdir(), 'jamba-split-llama-cpp-'));
let llamaP: Promise<Llama> | null = null;
const llama = () => (llamaP ??= getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error }));
after(async () => { if (llamaP) await (await llamaP).dispose(); });

/** llama.cpp's log-probabilities [T][V] for one sequence. */
async function llamaCpp(path: string, ids: number[], V: number): Promise<Float64Array[]> {
  const model = await (await llama()).loadModel({ modelPath: path });
  const ctx = await model.createContext({
    contextSize: 512, batchSize: 512, threads: 2, flashAttention: false,
    experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32',
  });
  try {
    const input = ids.map((t): ControlledEvaluateInputItem => [t as Token, { generateNext: { probabilities: true, options: { temperature: 1, topK: 0, topP: 1, minP: 0 } } }]);
    const res = await ctx.getSequence().controlledEvaluate(input);
    return res.map((r) => {
      const probs = r?.next?.probabilities;
      assert.ok(probs && probs.size === V);
      const row = new Float64Array(V);
      for (const [tok, p] of probs) row[tok] = Math.log(p);
      return row;
    });
  } finally {
    await ctx.dispose();
    await model.dispose();
  }
}

function jambaTs(path: string, ids: number[]): Float64Array[] {
  const ck = openGgufCheckpoint(path);
  const config = parseConfig(ck.config, path);
  const m = new JambaModel(config, loadWeights(config, ck.tensors), new RefBackend());
  ck.tensors.close?.();
  const V = config.vocabSize;
  const logits = m.forward([{ memory: m.newSequence(), tokens: ids }], { logits: 'all' });
  return ids.map((_, p) => {
    const row = logits.subarray(p * V, (p + 1) * V);
    const mx = Math.max(...row);
    const lse = mx + Math.log(row.reduce((a, v) => a + Math.exp(v - mx), 0));
    return Float64Array.from(row, (v) => v - lse);
  });
}

const maxDiff = (a: Float64Array[], b: Float64Array[]) =>
  Math.max(...a.map((r, p) => Math.max(...r.map((v, i) => Math.abs(v - b[p]![i]!)))));

test(`${CFG}: llama.cpp loads a split set jamba-ts writes and agrees with the unsplit file`, async () => {
  const whole = join(dir, 'whole.gguf');
  convertCheckpoint(openFolderCheckpoint(referenceDir(CFG)), whole, 'f32');
  const report = convertCheckpoint(openFolderCheckpoint(referenceDir(CFG)), join(dir, 'split.gguf'), 'f32', { split: { maxTensors: 20 } });
  assert.ok(report.files.length >= 2);
  const ids = referenceCases(CFG).find((c) => c.name === 'short')!.input_ids[0]!;
  const V = 512;
  const unsplit = await llamaCpp(whole, ids, V);
  const split = await llamaCpp(report.files[0]!, ids, V);
  assert.equal(maxDiff(split, unsplit), 0, 'llama.cpp: split set and unsplit file give identical probabilities');
  const ours = jambaTs(report.files[0]!, ids);
  assert.ok(maxDiff(ours, split) < 1e-4, `jamba-ts vs llama.cpp on the split set: ${maxDiff(ours, split)}`);
});
