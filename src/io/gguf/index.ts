/** GGUF: reading (v2/v3, split files), writing, and the Jamba mapping. See the files beside this one. */
export { GgufType, GGML_TYPE_NAMES, LLAMA_FTYPE, GGML_QNT_VERSION } from './constants.js';
export { gv, plain, plainMetadata, type GgufValue, type GgufArray, type GgufMetadata } from './values.js';
export { GgufFile, type GgufTensorInfo } from './reader.js';
export { GgufModelFiles, splitPath } from './split.js';
export { writeGguf, tensorBytes, type GgufTensorSpec } from './writer.js';
export { GgufTensorSource, openGgufCheckpoint, readGgufMetadata } from './source.js';
export { hfConfigFromGguf, findPeriod } from './jamba-config.js';
