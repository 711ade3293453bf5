/**
 * A TensorSource is a checkpoint seen as named tensors under canonical (HF) names, each loaded on
 * demand. safetensors folders and GGUF files both present themselves this way, so model/ never
 * branches on where weights came from.
 *
 * Canonical names are HF's (spec §2), with one addition: a source may provide
 * `model.layers.N.mamba.A` (already -exp(A_log), as GGUF's ssm_a) instead of `mamba.A_log`.
 * Experts are always per-expert names (`feed_forward.experts.E.gate_proj.weight`); a source holding
 * stacked experts returns zero-copy slices.
 */
import type { DType } from '../tensor/dtype.js';
import type { Weight } from '../tensor/weight.js';

export interface TensorInfo {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export interface TensorSource {
  /** Where it came from, for messages (a folder or file path). */
  readonly origin: string;
  names(): string[];
  info(name: string): TensorInfo | undefined;
  /** Reads the tensor's bytes (lazily, by offset); throws a JambaUserError naming file and tensor on failure. */
  load(name: string): Weight;
  close?(): void;
}

/** A model as io/ hands it over: raw HF-style config object plus tensors. */
export interface Checkpoint {
  /** The HF config.json object (GGUF metadata is translated into this form). */
  config: Record<string, unknown>;
  tensors: TensorSource;
  /** Folder holding tokenizer files, if any (HF folders). */
  folder?: string;
  /** GGUF metadata, when loaded from GGUF (tokenizer.* keys etc.). */
  ggufMetadata?: Map<string, unknown>;
}
