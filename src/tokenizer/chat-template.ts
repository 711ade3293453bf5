/**
 * Chat templates (Jinja, rendered with @huggingface/jinja) from tokenizer_config.json `chat_template`,
 * chat_template.jinja, or GGUF `tokenizer.chat_template`, as transformers' `apply_chat_template` does:
 * the context holds `messages`, `tools`, `documents`, `add_generation_prompt` and the special-token
 * strings (`bos_token`, `eos_token`, …); a template that names several variants picks `tool_use` when
 * tools are given and it has one, else `default`. The rendered text already holds any BOS the template
 * writes, so it is encoded with `addSpecial: false` (as transformers does).
 */
import { Template } from '@huggingface/jinja';
import { JambaUserError } from '../errors.js';
import type { Tokenizer } from './tokenizer.js';

/** A tool call as OpenAI-style messages carry it; `arguments` may be an object or a JSON string. */
export interface ToolCall {
  id?: string;
  type?: 'function';
  function: { name: string; arguments: Record<string, unknown> | string };
}

export interface ChatMessage {
  role: string;
  content: string | null;
  /** Reasoning kept apart from the answer (ChatML reasoning models render it inside <think>). */
  reasoning_content?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  name?: string;
}

/** A tool definition: `{type: "function", function: {name, description, parameters}}`. */
export interface ToolDefinition {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

export interface RenderOptions {
  tools?: readonly ToolDefinition[];
  documents?: readonly Record<string, unknown>[];
  /** End with the opening of an assistant turn (default true). */
  addGenerationPrompt?: boolean;
  /** Pick a named template (e.g. 'tool_use'); default as transformers picks. */
  templateName?: string;
  /** More template variables (e.g. a model-specific switch). */
  variables?: Record<string, unknown>;
}

export class ChatTemplate {
  private readonly template: Template;

  constructor(
    readonly source: string,
    private readonly specialTokens: Readonly<Record<string, string>> = {},
    readonly origin = 'chat template',
  ) {
    try {
      this.template = new Template(source);
    } catch (e) {
      throw new JambaUserError(`${origin} does not parse: ${(e as Error).message}`);
    }
  }

  render(messages: readonly ChatMessage[], options: RenderOptions = {}): string {
    const context: Record<string, unknown> = {
      ...this.specialTokens,
      ...options.variables,
      messages,
      add_generation_prompt: options.addGenerationPrompt ?? true,
    };
    if (options.tools !== undefined) context.tools = options.tools;
    if (options.documents !== undefined) context.documents = options.documents;
    try {
      return this.template.render(context);
    } catch (e) {
      throw new JambaUserError(`${this.origin} failed to render: ${(e as Error).message}`);
    }
  }
}

/** Chooses among a tokenizer's templates the way transformers does. */
export function chatTemplateFor(tok: Tokenizer, options: Pick<RenderOptions, 'tools' | 'templateName'> = {}): ChatTemplate {
  const all = tok.chatTemplates;
  const names = Object.keys(all);
  if (names.length === 0) throw new JambaUserError(`${tok.origin} has no chat template (a base model?)`);
  let name = options.templateName;
  if (name === undefined) name = options.tools?.length && all.tool_use !== undefined ? 'tool_use' : 'default';
  const source = all[name];
  if (source === undefined) {
    throw new JambaUserError(`${tok.origin} has no chat template named '${name}' (it has: ${names.join(', ')})`);
  }
  return new ChatTemplate(source, tok.specialTokens, `chat template '${name}' of ${tok.origin}`);
}

/** Renders `messages` with the tokenizer's template and encodes the result (no extra BOS/EOS). */
export function applyChatTemplate(
  tok: Tokenizer,
  messages: readonly ChatMessage[],
  options: RenderOptions = {},
): { text: string; ids: number[] } {
  const text = chatTemplateFor(tok, options).render(messages, options);
  return { text, ids: tok.encode(text, { addSpecial: false }) };
}
