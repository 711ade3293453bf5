/**
 * Shared by the convert-vocab tests: a tiny random Jamba model of a given vocabulary size (written once
 * per size) in a fresh folder beside tokenizer files (symlinks to read-only fixtures, or files written
 * here), its conversion to GGUF, our GGUF tokenizer of the result, and llama.cpp (node-llama-cpp, CPU,
 * one instance per test file) loading it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from 'node-llama-cpp';
import { convertCheckpoint, type ConvertReport } from '../../src/io/convert.js';
import { readGgufMetadata } from '../../src/io/gguf/source.js';
import { SafetensorsFile, SafetensorsSource } from '../../src/io/safetensors.js';
import { writeRandomModel } from '../../src/model/random.js';
import { loadTokenizer } from '../../src/tokenizer/load.js';
import type { Tokenizer } from '../../src/tokenizer/tokenizer.js';

export const root = mkdtempSync(join(tmpdir(), 'jamba-convert-vocab-'));
const models = new Map<number, string>();

function randomModel(vocabSize: number): string {
  let dir = models.get(vocabSize);
  if (!dir) {
    dir = join(root, `model-${vocabSize}`);
    writeRandomModel(dir, {
      model_type: 'jamba', hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 2,
      num_key_value_heads: 1, vocab_size: vocabSize, mamba_d_state: 4, mamba_d_conv: 4, mamba_expand: 2,
      mamba_dt_rank: 'auto', num_experts: 2, num_experts_per_tok: 1, attn_layer_period: 2, attn_layer_offset: 1,
      expert_layer_period: 2, expert_layer_offset: 1, rms_norm_eps: 1e-6,
    }, { seed: 5 });
    models.set(vocabSize, dir);
  }
  return dir;
}

let folders = 0;

/**
 * A fresh model folder of `vocabSize` (config.json and weights linked from the shared random model)
 * with the given tokenizer files: a string value is a path to symlink, an object is written as JSON.
 */
export function modelFolder(vocabSize: number, files: Record<string, string | object>): string {
  const dir = join(root, `folder-${folders++}`);
  const model = randomModel(vocabSize);
  mkdirSync(dir);
  for (const f of ['config.json', 'model.safetensors']) symlinkSync(join(model, f), join(dir, f));
  for (const [name, v] of Object.entries(files)) {
    if (typeof v === 'string') symlinkSync(v, join(dir, name));
    else writeFileSync(join(dir, name), JSON.stringify(v));
  }
  return dir;
}

/** Converts `folder` to `<folder>.gguf` (F16). */
export function convert(folder: string): { path: string; report: ConvertReport } {
  const ck = {
    config: JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as Record<string, unknown>,
    tensors: new SafetensorsSource(folder, [new SafetensorsFile(join(folder, 'model.safetensors'))]),
    folder,
  };
  const path = `${folder}.gguf`;
  try {
    return { path, report: convertCheckpoint(ck, path, 'f16') };
  } finally {
    ck.tensors.close?.();
  }
}

export function ggufTokenizer(path: string): Promise<Tokenizer> {
  return loadTokenizer(path, { readGgufMetadata });
}

let llamaP: Promise<Llama> | null = null;

export async function llamaCppModel(path: string): Promise<LlamaModel> {
  llamaP ??= getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  return (await llamaP).loadModel({ modelPath: path });
}

/** Disposes llama.cpp and removes the temporary folders (call from `after`). */
export async function cleanUp(): Promise<void> {
  if (llamaP) await (await llamaP).dispose();
  rmSync(root, { recursive: true, force: true });
}
