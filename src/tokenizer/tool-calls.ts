/**
 * Reads an assistant's generated text back into structured parts: the answer, tool calls, and (for
 * reasoning models) the reasoning.
 *  - Jamba 1.5–1.7: `<tool_calls>[{"name": ..., "arguments": {...}}, ...]</tool_calls>` (one JSON list).
 *  - ChatML style (Jamba Reasoning 3B, Jamba2): each call is `<tool_call>{"name", "arguments"}</tool_call>`;
 *    reasoning is `<think>…</think>` before the answer. When the prompt already opened `<think>`, the
 *    generated text holds only the closing `</think>`: everything before it is reasoning.
 * Text that does not parse (a call cut off by max tokens, malformed JSON) stays in the content and is
 * named in `errors`, so nothing the model wrote is lost.
 */
import type { ToolCall } from './chat-template.js';

export type ChatFormat = 'jamba' | 'chatml';

export interface ParsedAssistant {
  content: string;
  reasoning?: string;
  toolCalls: ToolCall[];
  errors: string[];
}

/** Guesses the output format from a chat template's text. */
export function chatFormatOf(templateSource: string): ChatFormat {
  if (templateSource.includes('<tool_calls>') || templateSource.includes('<|bom|>')) return 'jamba';
  return 'chatml';
}

export function parseAssistantOutput(text: string, format: ChatFormat): ParsedAssistant {
  return format === 'jamba' ? parseJamba(text) : parseChatml(text);
}

function toCall(v: unknown, index: number): ToolCall | string {
  if (typeof v !== 'object' || v === null) return `tool call ${index} is not an object`;
  const o = v as { name?: unknown; arguments?: unknown; function?: unknown };
  const inner = (typeof o.function === 'object' && o.function !== null ? o.function : o) as { name?: unknown; arguments?: unknown };
  if (typeof inner.name !== 'string') return `tool call ${index} has no "name"`;
  let args = inner.arguments ?? {};
  if (typeof args === 'string') {
    try {
      args = JSON.parse(args);
    } catch {
      return `tool call ${index} ("${inner.name}") has arguments that are not JSON`;
    }
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return `tool call ${index} ("${inner.name}") arguments are not an object`;
  return { type: 'function', function: { name: inner.name, arguments: args as Record<string, unknown> } };
}

/**
 * Takes every `<tag>JSON</tag>` block whose JSON reads as tool calls (a list of them when `list`) out of
 * `text` into `calls`; blocks that do not read stay in the text, with the reason in `errors`.
 */
function takeCalls(text: string, tag: string, list: boolean, calls: ToolCall[], errors: string[]): string {
  const rest = text.replace(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'), (whole, body: string) => {
    let v: unknown;
    try {
      v = JSON.parse(body);
    } catch (e) {
      errors.push(`<${tag}> is not JSON: ${(e as Error).message}`);
      return whole;
    }
    const found = (list && Array.isArray(v) ? v : [v]).map((x, i) => toCall(x, calls.length + i));
    const bad = found.filter((c): c is string => typeof c === 'string');
    if (bad.length) {
      errors.push(...bad);
      return whole;
    }
    calls.push(...(found as ToolCall[]));
    return '';
  });
  if (new RegExp(`<${tag}>(?![\\s\\S]*</${tag}>)`).test(rest)) errors.push(`<${tag}> is not closed`);
  return rest;
}

function parseJamba(text: string): ParsedAssistant {
  const errors: string[] = [];
  const toolCalls: ToolCall[] = [];
  const content = takeCalls(text, 'tool_calls', true, toolCalls, errors);
  return { content: content.trim(), toolCalls, errors };
}

function parseChatml(text: string): ParsedAssistant {
  const errors: string[] = [];
  let reasoning: string | undefined;
  let rest = text;
  const close = rest.indexOf('</think>');
  if (close >= 0) {
    const open = rest.lastIndexOf('<think>', close);
    reasoning = rest.slice(open >= 0 ? open + '<think>'.length : 0, close).trim();
    rest = (open >= 0 ? rest.slice(0, open) : '') + rest.slice(close + '</think>'.length);
  } else if (rest.trimStart().startsWith('<think>')) {
    // Cut off while still thinking: all of it is reasoning, there is no answer yet.
    reasoning = rest.trimStart().slice('<think>'.length).trim();
    rest = '';
    errors.push('<think> is not closed');
  }
  const toolCalls: ToolCall[] = [];
  rest = takeCalls(rest, 'tool_call', false, toolCalls, errors);
  const out: ParsedAssistant = { content: rest.trim(), toolCalls, errors };
  if (reasoning !== undefined) out.reasoning = reasoning;
  return out;
}
