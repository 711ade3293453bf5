/**
 * POST /v1/chat/completions request → prompt token ids: messages (text content only) and tools are
 * checked field by field, rendered with the model's chat template (tokenizer/chat-template.ts) and
 * encoded. Also finds where the first and the last two messages end in the prompt: the prompt cache
 * checkpoints there, so a shared system prompt and the earlier turns of a conversation are reused.
 */
import { chatTemplateFor, type ChatMessage, type ChatTemplate, type ToolCall, type ToolDefinition } from '../tokenizer/chat-template.js';
import { chatFormatOf, type ChatFormat } from '../tokenizer/tool-calls.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { ApiError, invalid } from './errors.js';
import { Fields, typeName } from './fields.js';

export interface ChatPrompt {
  ids: number[];
  /** Prompt lengths at which a message ends. */
  boundaries: number[];
  /** Parse tool calls out of the answer. */
  tools: boolean;
  format: ChatFormat;
}

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool'] as const;

function content(m: Fields, role: string): string | null {
  const v = m.raw('content');
  if (v === undefined) {
    if (role === 'assistant') return null;
    throw invalid(`'${m.name('content')}' is required for a ${role} message`, m.name('content'), 'missing_required_parameter');
  }
  if (typeof v === 'string') return v;
  if (!Array.isArray(v)) throw invalid(`'${m.name('content')}' must be a string or an array of content parts, got ${typeName(v)}`, m.name('content'));
  return v.map((part, i) => {
    const p = Fields.of(part, `${m.name('content')}[${i}]`);
    const type = p.requireString('type');
    if (type !== 'text') throw invalid(`content part type '${type}' is not supported (text only)`, p.name('type'), 'unsupported_value');
    return p.requireString('text');
  }).join('\n');
}

function toolCalls(m: Fields): ToolCall[] | undefined {
  const list = m.array('tool_calls');
  if (!list) return undefined;
  return list.map((c, i) => {
    const f = Fields.of(c, `${m.name('tool_calls')}[${i}]`);
    const type = f.string('type') ?? 'function';
    if (type !== 'function') throw invalid(`tool call type must be 'function', got '${type}'`, f.name('type'));
    const fn = f.object('function');
    if (!fn) throw invalid(`'${f.name('function')}' is required`, f.name('function'), 'missing_required_parameter');
    const call: ToolCall = { type: 'function', function: { name: fn.requireString('name'), arguments: fn.string('arguments') ?? '{}' } };
    const id = f.string('id');
    if (id !== undefined) call.id = id;
    return call;
  });
}

export function readMessages(f: Fields): ChatMessage[] {
  const list = f.array('messages');
  if (!list) throw invalid("'messages' is required", 'messages', 'missing_required_parameter');
  if (list.length === 0) throw invalid("'messages' must hold at least one message", 'messages');
  return list.map((raw, i) => {
    const m = Fields.of(raw, `messages[${i}]`);
    const role = m.oneOf('role', ROLES);
    if (!role) throw invalid(`'messages[${i}].role' is required`, `messages[${i}].role`, 'missing_required_parameter');
    const msg: ChatMessage = { role: role === 'developer' ? 'system' : role, content: content(m, role) };
    const name = m.string('name');
    if (name !== undefined) msg.name = name;
    if (role === 'assistant') {
      const calls = toolCalls(m);
      if (calls) msg.tool_calls = calls;
      if (msg.content === null && !calls) throw invalid(`'messages[${i}]' needs content or tool_calls`, `messages[${i}].content`);
    }
    if (role === 'tool') msg.tool_call_id = m.requireString('tool_call_id');
    return msg;
  });
}

export function readTools(f: Fields): { tools: ToolDefinition[] | undefined; parse: boolean } {
  const list = f.array('tools');
  const tools = list?.map((raw, i) => {
    const t = Fields.of(raw, `tools[${i}]`);
    if ((t.string('type') ?? 'function') !== 'function') throw invalid(`'tools[${i}].type' must be 'function'`, `tools[${i}].type`);
    const fn = t.object('function');
    if (!fn) throw invalid(`'tools[${i}].function' is required`, `tools[${i}].function`, 'missing_required_parameter');
    const def: ToolDefinition = { type: 'function', function: { name: fn.requireString('name') } };
    const description = fn.string('description');
    if (description !== undefined) def.function.description = description;
    const params = fn.object('parameters');
    if (params) def.function.parameters = params.value();
    return def;
  });
  const choice = f.raw('tool_choice');
  if (choice === undefined || choice === 'auto') return { tools, parse: (tools?.length ?? 0) > 0 };
  if (choice === 'none') return { tools, parse: false };
  if (choice === 'required' || (typeof choice === 'object' && choice !== null)) {
    throw new ApiError(400, "tool_choice 'required' or a named function needs constrained decoding, which this server does not have yet; use 'auto' or 'none'",
      'invalid_request_error', 'tool_choice', 'unsupported_value');
  }
  throw invalid("'tool_choice' must be 'auto', 'none', 'required' or {\"type\": \"function\", ...}", 'tool_choice');
}

/** Chat templates parsed once per server (with and without tools they may differ). */
export class TemplateCache {
  private readonly byTools = new Map<boolean, ChatTemplate>();
  constructor(private readonly tok: Tokenizer) {}
  get(tools: readonly ToolDefinition[] | undefined): ChatTemplate {
    const key = (tools?.length ?? 0) > 0;
    let t = this.byTools.get(key);
    if (!t) {
      t = chatTemplateFor(this.tok, { tools });
      this.byTools.set(key, t);
    }
    return t;
  }
}

export function chatPrompt(f: Fields, tok: Tokenizer, templates: TemplateCache): ChatPrompt {
  const messages = readMessages(f);
  const { tools, parse } = readTools(f);
  if (Object.keys(tok.chatTemplates).length === 0) {
    throw invalid('the served model has no chat template (a base model): use /v1/completions', 'messages', 'no_chat_template');
  }
  const template = templates.get(tools);
  const ids = tok.encode(template.render(messages, { tools, addGenerationPrompt: true }), { addSpecial: false });
  const boundaries: number[] = [];
  for (const n of new Set([1, messages.length - 1, messages.length])) {
    if (n < 1 || n > messages.length) continue;
    const part = tok.encode(template.render(messages.slice(0, n), { tools, addGenerationPrompt: false }), { addSpecial: false });
    if (part.length < ids.length && part.every((id, i) => id === ids[i])) boundaries.push(part.length);
  }
  return { ids, boundaries, tools: parse, format: chatFormatOf(template.source) };
}
