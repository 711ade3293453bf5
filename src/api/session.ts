/**
 * A chat that keeps its conversation and its model state between turns, so each turn prefills only
 * what is new (the previous answer's closing and the new message), however long the conversation —
 * the prompt reuse users of hybrid models ask for most (docs/peers.md §3).
 *
 * Each turn renders the whole conversation with the chat template (so the model always sees the
 * canonical prompt a stateless run would build), then reuses the longest part of it the state can
 * continue from: everything the state holds when that is a prefix of the new prompt (the usual case),
 * else the end of the previous turn's prompt (a rewind mark, session-mark.ts), else nothing.
 *
 * `save(file)` writes messages, token history, the serialised state and the sampler's random state
 * (session-file.ts); `ChatSession.load` continues exactly: the next turn gives the same tokens as if
 * the session had never stopped.
 */
import { JambaUserError } from '../errors.js';
import { Rng } from '../generate/sampling-rng.js';
import { SequenceMemory } from '../memory/sequence.js';
import type { ChatMessage } from '../tokenizer/chat-template.js';
import type { ChatFormat } from '../tokenizer/tool-calls.js';
import { chatPrompt, chatResult, chatVisible, type ChatOptions, type ChatResult } from './chat.js';
import type { DecodeLoop } from './decode-loop.js';
import { Generation } from './generation.js';
import { markFloats, markFromFloats, markOf, rewind, type Mark } from './session-mark.js';
import { readSessionFile, writeSessionFile } from './session-file.js';
import type { TextModel } from './text-model.js';

export interface SessionOptions extends ChatOptions {
  /** A system message to start the conversation with (kept by `reset`). */
  system?: string;
}

function isPrefix(a: readonly number[], b: readonly number[], n = a.length): boolean {
  if (n > b.length) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Options as they are saved: JSON-safe (no signal; a logit-bias Map as an object). */
function savedOptions(o: SessionOptions): Record<string, unknown> {
  const { signal: _signal, ...rest } = o;
  const out: Record<string, unknown> = { ...rest };
  if (o.logitBias instanceof Map) out.logitBias = Object.fromEntries(o.logitBias);
  return out;
}

export class ChatSession {
  private msgs: ChatMessage[] = [];
  private memory: SequenceMemory;
  /** The token ids `memory` holds, in order. */
  private fed: number[] = [];
  private mark: Mark | null = null;
  private rng: Rng;
  private busy = false;
  /** Turn defaults; `seed` seeds the session's random stream once, at creation. */
  readonly options: SessionOptions;

  constructor(readonly tm: TextModel, options: SessionOptions = {}) {
    this.options = { ...options };
    this.memory = tm.model.newSequence();
    this.rng = new Rng(options.seed);
    this.reset();
  }

  /** The conversation so far (a copy). */
  get messages(): ChatMessage[] {
    return structuredClone(this.msgs);
  }

  /** The token ids the model state holds. */
  get tokens(): readonly number[] {
    return this.fed;
  }

  /** Back to the start (the system message only) with an empty state. */
  reset(): void {
    this.msgs = this.options.system !== undefined ? [{ role: 'system', content: this.options.system }] : [];
    this.invalidate();
  }

  /**
   * Adds a user message (a string), or any messages (e.g. tool results), and streams the answer.
   * `options` override the session's for this turn; a `seed` here restarts the random stream for this
   * turn only. One turn at a time.
   */
  send(input: string | ChatMessage | readonly ChatMessage[], options: ChatOptions = {}): Generation<ChatResult> {
    const added: ChatMessage[] = typeof input === 'string' ? [{ role: 'user', content: input }] : Array.isArray(input) ? [...input] : [input as ChatMessage];
    let loop: DecodeLoop | null = null;
    let format: ChatFormat = 'chatml';
    let last: ChatResult | null = null;
    const self = this;
    return new Generation<ChatResult>({
      chunks: async function* () {
        if (self.busy) throw new Error('this chat session is already answering (one turn at a time)');
        self.busy = true;
        let failed = false;
        let prompt: number[] = [];
        try {
          const o: ChatOptions = { ...self.options, ...options, seed: options.seed };
          const p = chatPrompt(self.tm, [...self.msgs, ...added], o);
          prompt = p.ids;
          format = p.format;
          const reused = self.prepare(prompt);
          loop = self.tm.loop({
            memory: self.memory, prompt, reused, options: o, visible: chatVisible(self.tm, o),
            rng: options.seed === undefined ? self.rng : undefined,
            onPrompt: () => { self.mark = markOf(self.memory); },
          });
          last = chatResult(yield* loop.chunks(), format);
          return last;
        } catch (e) {
          failed = true;
          self.invalidate(); // a forward that threw may have left the state half-updated
          throw e;
        } finally {
          if (!failed && loop) {
            last ??= chatResult(loop.stopped(), format);
            self.settle(prompt, added, last);
          }
          self.busy = false;
        }
      },
      stopped: () => last!,
    });
  }

  /** Writes the whole session (messages, tokens, state, random stream) to `file`. */
  save(file: string): void {
    if (this.busy) throw new JambaUserError('cannot save while the session is answering');
    writeSessionFile(file, {
      fingerprint: fingerprint(this.tm), model: this.tm.ref, options: savedOptions(this.options),
      messages: this.msgs, tokens: this.fed, mark: this.mark?.length ?? null, rng: this.rng.state(),
    }, this.memory.serialize(), this.mark ? markFloats(this.mark) : new Float32Array(0));
  }

  /**
   * Reads a saved session for `tm` (the model it was saved with). `options` override the saved turn
   * defaults (the random stream continues from the saved one whatever `seed` says).
   */
  static load(tm: TextModel, file: string, options: SessionOptions = {}): ChatSession {
    const { header: h, memory, mark } = readSessionFile(file);
    if (h.fingerprint !== fingerprint(tm)) throw new JambaUserError(`${file} was saved with a different model (${h.model}): its state does not fit ${tm.ref}`);
    const s = new ChatSession(tm, { ...(h.options as SessionOptions), ...options });
    const mem = SequenceMemory.deserialize(memory, tm.model.memoryLayout(), file);
    if (mem.length !== h.tokens.length) throw new JambaUserError(`${file}: the state holds ${mem.length} tokens but the session lists ${h.tokens.length}`);
    let m: Mark | null = null;
    if (h.mark !== null) {
      m = Number.isInteger(h.mark) && h.mark <= mem.length ? markFromFloats(mem, h.mark, mark) : null;
      if (!m) throw new JambaUserError(`${file}: corrupt rewind mark`);
    }
    try {
      s.rng = Rng.restore(h.rng);
    } catch {
      throw new JambaUserError(`${file}: corrupt random state`);
    }
    s.msgs = h.messages;
    s.memory = mem;
    s.fed = h.tokens;
    s.mark = m;
    return s;
  }

  /** Makes the memory hold the longest reusable prefix of `prompt`; returns its length. */
  private prepare(prompt: readonly number[]): number {
    if (this.fed.length < prompt.length && isPrefix(this.fed, prompt)) return this.fed.length;
    const m = this.mark;
    if (m && m.length < prompt.length && isPrefix(this.fed, prompt, m.length)) {
      rewind(this.memory, m);
      this.fed.length = m.length;
      return m.length;
    }
    this.invalidate();
    return 0;
  }

  /** After a turn: what the memory now holds, and the conversation (unless nothing was answered). */
  private settle(prompt: readonly number[], added: readonly ChatMessage[], r: ChatResult): void {
    const L = this.memory.length;
    this.fed = L <= prompt.length ? prompt.slice(0, L) : [...prompt, ...r.tokens.slice(0, L - prompt.length)];
    if (r.tokens.length > 0) this.msgs.push(...structuredClone(added), r.message);
  }

  private invalidate(): void {
    this.memory.reset();
    this.fed = [];
    this.mark = null;
  }
}

/** What a saved state is valid for: the model's dimensions and layer layout, and the vocabulary. */
function fingerprint(tm: TextModel): string {
  return JSON.stringify({ dims: tm.model.dims, layout: tm.model.memoryLayout(), vocab: tm.tokenizer.vocabSize });
}
