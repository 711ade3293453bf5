/**
 * Chat on top of the text API: messages are rendered with the model's chat template
 * (tokenizer/chat-template.ts, as transformers' apply_chat_template), the answer is streamed, and the
 * generated text is read back (tokenizer/tool-calls.ts) into an assistant message with its content,
 * tool calls and — for reasoning models — the reasoning kept apart.
 *
 * The stream shows the model's raw words, tool-call and <think> markup included (those tags are kept even
 * when the tokenizer marks them special, so they can be parsed back); the result holds the parsed parts.
 */
import { ChatTemplate, chatTemplateFor, type ChatMessage, type ToolCall, type ToolDefinition } from '../tokenizer/chat-template.js';
import { chatFormatOf, parseAssistantOutput, type ChatFormat } from '../tokenizer/tool-calls.js';
import type { GenerateResult } from './decode-loop.js';
import { Generation } from './generation.js';
import type { GenerateOptions } from './options.js';
import type { TextModel } from './text-model.js';

export interface ChatOptions extends GenerateOptions {
  /** Tool definitions the template shows the model; calls come back in `toolCalls`. */
  tools?: readonly ToolDefinition[];
  documents?: readonly Record<string, unknown>[];
  /** A named template of the tokenizer's (e.g. 'tool_use'). */
  templateName?: string;
  /** More template variables. */
  variables?: Record<string, unknown>;
}

export interface ChatResult extends GenerateResult {
  /** The assistant message to append to the conversation. */
  message: ChatMessage;
  /** The answer without tool calls and reasoning. */
  content: string;
  reasoning?: string;
  toolCalls: ToolCall[];
  /** Tool-call or reasoning markup that did not parse (it stays in `content`). */
  parseErrors: string[];
}

/** Chat markup that must reach the parser even where the tokenizer calls it special. */
const MARKUP = new Set(['<tool_calls>', '</tool_calls>', '<tool_call>', '</tool_call>', '<think>', '</think>']);

export function chatTemplateOf(tm: TextModel, o: Pick<ChatOptions, 'tools' | 'templateName'>): ChatTemplate {
  if (tm.chatTemplateSource !== undefined) {
    return new ChatTemplate(tm.chatTemplateSource, tm.tokenizer.specialTokens, 'the given chat template');
  }
  return chatTemplateFor(tm.tokenizer, o);
}

export interface ChatPrompt {
  ids: number[];
  format: ChatFormat;
}

/** Renders `messages` (with a generation prompt) and encodes them (the template writes any BOS). */
export function chatPrompt(tm: TextModel, messages: readonly ChatMessage[], o: ChatOptions): ChatPrompt {
  const t = chatTemplateOf(tm, o);
  const text = t.render(messages, { tools: o.tools, documents: o.documents, variables: o.variables, templateName: o.templateName });
  return { ids: tm.tokenizer.encode(text, { addSpecial: false }), format: chatFormatOf(t.source) };
}

/** Which ids show as text in a chat answer. */
export function chatVisible(tm: TextModel, o: GenerateOptions): (id: number) => boolean {
  const tok = tm.tokenizer;
  if (o.special) return () => true;
  return (id) => !tok.isSpecial(id) || MARKUP.has(tok.idToToken(id) ?? '');
}

/** Reads a finished generation back into an assistant message. */
export function chatResult(r: GenerateResult, format: ChatFormat): ChatResult {
  const p = parseAssistantOutput(r.text, format);
  const message: ChatMessage = { role: 'assistant', content: p.toolCalls.length > 0 && p.content === '' ? null : p.content };
  if (p.toolCalls.length > 0) message.tool_calls = p.toolCalls;
  if (p.reasoning !== undefined) message.reasoning_content = p.reasoning;
  const out: ChatResult = { ...r, message, content: p.content, toolCalls: p.toolCalls, parseErrors: p.errors };
  if (p.reasoning !== undefined) out.reasoning = p.reasoning;
  return out;
}

/** One stateless chat completion: the whole conversation is prefilled. */
export function chatOnce(tm: TextModel, messages: readonly ChatMessage[], o: ChatOptions = {}): Generation<ChatResult> {
  let format: ChatFormat = 'chatml';
  let loop: ReturnType<TextModel['loop']> | null = null;
  return new Generation<ChatResult>({
    chunks: async function* () {
      const p = chatPrompt(tm, messages, o);
      format = p.format;
      loop = tm.loop({ memory: tm.model.newSequence(), prompt: p.ids, reused: 0, options: o, visible: chatVisible(tm, o) });
      return chatResult(yield* loop.chunks(), format);
    },
    stopped: () => chatResult(loop!.stopped(), format),
  });
}
