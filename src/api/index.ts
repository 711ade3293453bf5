/** The library's text API: load a model by reference, generate, chat, and keep chat sessions. */
export { loadTextModel, TextModel, type LoadTextModelOptions } from './text-model.js';
export { Generation } from './generation.js';
export type { GenerateResult, FinishReason, Timings, TokenLogprobInfo } from './decode-loop.js';
export type { GenerateOptions, TextGenerateOptions } from './options.js';
export type { ChatOptions, ChatResult } from './chat.js';
export { ChatSession, type SessionOptions } from './session.js';
export { defaultModelPath, DEFAULT_MODEL_NAME } from './default-model.js';
