/**
 * A model you can talk to: a JambaModel plus its tokenizer (and chat template), loaded from a model
 * folder, a .gguf file or a Hugging Face repo id (resolved through the local HF cache by io/hub).
 *
 *   const m = await loadTextModel('path/to/model');
 *   for await (const t of m.generate('Once upon a time', { maxTokens: 40, seed: 1 })) process.stdout.write(t);
 *   const r = await m.chat([{ role: 'user', content: 'Hi!' }]).result;   // r.content, r.toolCalls, …
 *   const s = m.session({ system: 'Be brief.' });                         // keeps the model state
 */
import { createBackend, type BackendKind } from '../backends/index.js';
import type { Backend } from '../backends/backend.js';
import { JambaUserError } from '../errors.js';
import { Rng } from '../generate/sampling-rng.js';
import { Sampler } from '../generate/sampling.js';
import { openCheckpoint } from '../io/checkpoint.js';
import { readGgufMetadata } from '../io/gguf/source.js';
import type { SequenceMemory } from '../memory/sequence.js';
import type { JambaModel } from '../model/jamba.js';
import { modelFromCheckpoint } from '../model/load.js';
import { loadTokenizer, tokenizerFromGgufMetadata } from '../tokenizer/load.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { chatOnce, type ChatOptions, type ChatResult } from './chat.js';
import { DecodeLoop, type GenerateResult } from './decode-loop.js';
import { Generation } from './generation.js';
import { checkGenerateOptions, samplingParams, type GenerateOptions, type TextGenerateOptions } from './options.js';
import { ChatSession, type SessionOptions } from './session.js';
import type { ChatMessage } from '../tokenizer/chat-template.js';

export interface LoadTextModelOptions {
  /** 'auto' (default: native when its addon loads), 'native', 'ref', or a Backend instance. */
  backend?: BackendKind | Backend;
  threads?: number;
  /** Tokenizer folder, tokenizer.json or .gguf (default: the model's own). */
  tokenizer?: string;
  /** Longest sequence (prompt + generated) allowed (default: the config's max_position_embeddings). */
  ctxSize?: number;
  /** A Jinja chat template to use instead of the tokenizer's. */
  chatTemplate?: string;
}

export interface RunSpec {
  memory: SequenceMemory;
  prompt: readonly number[];
  /** Prompt tokens `memory` already holds. */
  reused: number;
  options: GenerateOptions;
  /** Which token ids show as text (default: all but special tokens, or all with `special`). */
  visible?: (id: number) => boolean;
  /** The random stream to draw from when `options.seed` is not set (a chat session's own). */
  rng?: Rng;
  onPrompt?: () => void;
}

export class TextModel {
  /** Ids that end generation: the model config's EOS ids and the tokenizer's. */
  readonly eosIds: readonly number[];
  readonly ctxSize: number;
  /** A chat template given at load time (instead of the tokenizer's). */
  readonly chatTemplateSource: string | undefined;

  constructor(
    readonly model: JambaModel,
    readonly tokenizer: Tokenizer,
    readonly ref: string,
    opts: { ctxSize?: number; chatTemplate?: string } = {},
  ) {
    this.eosIds = [...new Set([...model.config.eosTokenIds, ...tokenizer.eosIds])];
    this.ctxSize = opts.ctxSize ?? model.config.maxPositionEmbeddings;
    this.chatTemplateSource = opts.chatTemplate;
    if (tokenizer.vocabSize > model.dims.V) {
      throw new JambaUserError(`the tokenizer ${tokenizer.origin} has ${tokenizer.vocabSize} tokens but the model only ${model.dims.V}`);
    }
  }

  /** Token ids of a text (BOS/EOS as the tokenizer files say unless `addSpecial` is false). */
  encode(text: string, addSpecial = true): number[] {
    return this.tokenizer.encode(text, { addSpecial });
  }

  /**
   * Continues a prompt (text, or token ids used as given) with streamed text.
   * The prompt's BOS follows the tokenizer files (`addSpecial: false` leaves it out).
   */
  generate(prompt: string | readonly number[], options: TextGenerateOptions = {}): Generation<GenerateResult> {
    let loop: DecodeLoop | null = null;
    return new Generation<GenerateResult>({
      chunks: () => {
        const ids = typeof prompt === 'string' ? this.encode(prompt, options.addSpecial ?? true) : [...prompt];
        loop = this.loop({ memory: this.model.newSequence(), prompt: ids, reused: 0, options });
        return loop.chunks();
      },
      stopped: () => loop!.stopped(),
    });
  }

  /** Answers a conversation (rendered with the chat template and prefilled whole). */
  chat(messages: readonly ChatMessage[], options: ChatOptions = {}): Generation<ChatResult> {
    return chatOnce(this, messages, options);
  }

  /** A chat that keeps its model state between turns (see ChatSession). */
  session(options: SessionOptions = {}): ChatSession {
    return new ChatSession(this, options);
  }

  /** Continues a session saved with `ChatSession.save`. */
  loadSession(file: string, options: SessionOptions = {}): ChatSession {
    return ChatSession.load(this, file, options);
  }

  /** The decode loop for `spec` after checking options and the context (library-internal). */
  loop(spec: RunSpec): DecodeLoop {
    const o = spec.options;
    checkGenerateOptions(o);
    const P = spec.prompt.length;
    if (P === 0) throw new JambaUserError('the prompt has no tokens');
    if (P >= this.ctxSize) {
      throw new JambaUserError(`the prompt has ${P} tokens, but the context is ${this.ctxSize} (raise ctxSize / --ctx-size, or shorten it)`);
    }
    if (spec.memory.length !== spec.reused) throw new Error(`memory holds ${spec.memory.length} tokens, expected ${spec.reused}`);
    const room = this.ctxSize - P;
    const params = samplingParams(o);
    const sampler = o.seed === undefined && spec.rng ? new Sampler(params, spec.rng) : new Sampler(params);
    const tok = this.tokenizer;
    const visible = spec.visible ?? (o.special ? () => true : (id: number) => !tok.isSpecial(id));
    const decoder = tok.streamDecoder({ context: spec.prompt, visible });
    return new DecodeLoop({
      model: this.model, memory: spec.memory, prompt: spec.prompt, reused: spec.reused, sampler,
      maxTokens: Math.min(o.maxTokens ?? room, room),
      eosIds: this.eosIds, ignoreEos: o.ignoreEos ?? false, stop: o.stop ?? [],
      decoder, signal: o.signal, logprobs: o.logprobs ?? false,
      tokenText: (id) => tok.tokenText(id),
      prefillChunk: o.prefillChunk ?? 512,
      onPrompt: spec.onPrompt,
    });
  }
}

/** Loads model and tokenizer from a folder, a .gguf file or a Hugging Face repo id. */
export async function loadTextModel(ref: string, opts: LoadTextModelOptions = {}): Promise<TextModel> {
  if (opts.ctxSize !== undefined && !(Number.isInteger(opts.ctxSize) && opts.ctxSize >= 2)) {
    throw new JambaUserError(`ctxSize must be an integer ≥ 2, got ${opts.ctxSize}`);
  }
  const ck = await openCheckpoint(ref);
  let tokenizer: Tokenizer;
  if (opts.tokenizer) tokenizer = await loadTokenizer(opts.tokenizer, { readGgufMetadata });
  else if (ck.ggufMetadata) tokenizer = tokenizerFromGgufMetadata(ck.ggufMetadata, ref);
  else if (ck.folder) {
    try {
      tokenizer = await loadTokenizer(ck.folder, { readGgufMetadata });
    } catch (e) {
      if (!(e instanceof JambaUserError)) throw e;
      throw new JambaUserError(`${e.message}; give a tokenizer (--tokenizer <folder|tokenizer.json|file.gguf>)`);
    }
  } else {
    throw new JambaUserError(`cannot find a tokenizer for ${ref}; give one (--tokenizer <folder|tokenizer.json|file.gguf>)`);
  }
  const backend = typeof opts.backend === 'object' ? opts.backend : createBackend(opts.backend ?? 'auto', opts.threads);
  const model = modelFromCheckpoint(ck, backend);
  return new TextModel(model, tokenizer, ref, { ctxSize: opts.ctxSize, chatTemplate: opts.chatTemplate });
}
