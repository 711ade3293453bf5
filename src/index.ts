/** Public API of jamba-ts. */
export { JambaUserError } from './errors.js';
export type { Backend, Act } from './backends/backend.js';
export { RefBackend } from './backends/ref/index.js';
export { createBackend, type BackendKind } from './backends/index.js';
export { parseConfig, layerPlan, dims, type JambaConfig, type LayerPlan, type Dims } from './model/config.js';
export { JambaModel, type SequenceInput, type ForwardOptions } from './model/jamba.js';
export { loadModel, modelFromCheckpoint, type LoadOptions } from './model/load.js';
export { modelInfo } from './model/info.js';
export { SequenceMemory, type Snapshot, type MemoryLayout } from './memory/sequence.js';
export { openCheckpoint } from './io/checkpoint.js';
export type { Checkpoint, TensorSource, TensorInfo } from './io/source.js';
export { writeSafetensors } from './io/safetensors-write.js';
export { generateGreedy, type GreedyOptions, type GreedyResult } from './generate/greedy.js';
export type { Weight } from './tensor/weight.js';
export type { DType } from './tensor/dtype.js';
export { pullModel, resolveModelRef, type PullOptions, type PulledModel } from './io/hub.js';
export {
  loadTextModel, TextModel, Generation, ChatSession, defaultModelPath, DEFAULT_MODEL_NAME,
  type LoadTextModelOptions, type GenerateResult, type FinishReason, type Timings, type TokenLogprobInfo,
  type GenerateOptions, type TextGenerateOptions, type ChatOptions, type ChatResult, type SessionOptions,
} from './api/index.js';
