/**
 * A GGUF Jamba model as a Checkpoint (io/source.ts): the HF config derived from the metadata, and a
 * TensorSource that presents every tensor under its canonical HF name, loading bytes lazily by offset.
 *
 * Format quirks fixed here, once (spec §10.2):
 * - shapes: GGUF ne[] is fastest-first, so the PyTorch shape is ne reversed;
 * - stacked experts {in, out, nE} → nE weights [out, in], zero-copy slices of one buffer (slice0);
 * - ssm_conv1d {K, E} → conv1d.weight [E, 1, K] (same bytes);
 * - ssm_a is already −exp(A_log): exposed as `mamba.A`, never log'd back;
 * - output.weight absent → tie_word_embeddings (no lm_head.weight is exposed).
 * GGUF tensors that are not part of the Jamba layout keep their GGUF name, so the model loader reports
 * them as unexpected rather than silently dropping weights.
 */
import { JambaUserError } from '../../errors.js';
import { slice0, type Weight } from '../../tensor/weight.js';
import type { Checkpoint, TensorInfo, TensorSource } from '../source.js';
import { hfConfigFromGguf } from './jamba-config.js';
import { hfNamesOf } from './jamba-names.js';
import type { GgufTensorInfo } from './reader.js';
import { GgufModelFiles } from './split.js';
import { plainMetadata } from './values.js';

interface Entry {
  info: TensorInfo;
  tensor: GgufTensorInfo;
  /** Expert index into a stacked tensor. */
  expert?: number;
}

export class GgufTensorSource implements TensorSource {
  readonly origin: string;
  private readonly entries = new Map<string, Entry>();
  private readonly stacked = new Map<string, Weight>();

  constructor(readonly model: GgufModelFiles, nExperts: number) {
    this.origin = model.path;
    for (const t of model.tensors.values()) {
      const shape = [...t.ne].reverse();
      const target = hfNamesOf(t.name, nExperts);
      if (!target) {
        this.entries.set(t.name, { info: { dtype: t.dtype, shape }, tensor: t });
      } else if (target.stacked) {
        if (shape.length !== 3 || shape[0] !== nExperts) {
          throw new JambaUserError(`${this.origin}: tensor ${t.name} has ne {${t.ne.join(', ')}}, expected {in, out, ${nExperts}} stacked experts`);
        }
        target.hf.forEach((hf, e) => this.entries.set(hf, { info: { dtype: t.dtype, shape: shape.slice(1) }, tensor: t, expert: e }));
      } else {
        const hf = target.hf[0]!;
        const s = hf.endsWith('conv1d.weight') && shape.length === 2 ? [shape[0]!, 1, shape[1]!] : shape;
        this.entries.set(hf, { info: { dtype: t.dtype, shape: s }, tensor: t });
      }
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  info(name: string): TensorInfo | undefined {
    return this.entries.get(name)?.info;
  }

  load(name: string): Weight {
    const e = this.entries.get(name);
    if (!e) throw new JambaUserError(`${this.origin}: missing tensor ${name}`);
    if (e.expert === undefined) return { name, dtype: e.info.dtype, shape: e.info.shape, data: this.model.read(e.tensor) };
    let all = this.stacked.get(e.tensor.name);
    if (!all) {
      all = { name: e.tensor.name, dtype: e.tensor.dtype, shape: [...e.tensor.ne].reverse(), data: this.model.read(e.tensor) };
      this.stacked.set(e.tensor.name, all);
    }
    return slice0(all, e.expert, name);
  }

  close(): void {
    this.stacked.clear();
    this.model.close();
  }
}

/** Opens a .gguf Jamba model (any part of a split model) as a Checkpoint. */
export function openGgufCheckpoint(path: string): Checkpoint {
  const model = new GgufModelFiles(path);
  try {
    const config = hfConfigFromGguf(model.metadata, model.tensors, path);
    const tensors = new GgufTensorSource(model, config.num_experts as number);
    return { config, tensors, ggufMetadata: plainMetadata(model.metadata) };
  } catch (e) {
    model.close();
    throw e;
  }
}

/** The metadata of a .gguf file as plain values (for tokenizer/ loadTokenizer's readGgufMetadata). */
export function readGgufMetadata(path: string): Map<string, unknown> {
  const model = new GgufModelFiles(path);
  try {
    return plainMetadata(model.metadata);
  } finally {
    model.close();
  }
}
