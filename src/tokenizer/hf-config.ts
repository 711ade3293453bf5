/**
 * What tokenizer_config.json, special_tokens_map.json and chat_template.jinja/.json say beside a
 * tokenizer.json: special-token strings, add_bos_token/add_eos_token, and the chat template(s).
 * Special tokens may be written as plain strings or as `{"__type": "AddedToken", "content": ...}`.
 * `chat_template` may be a string or a list of `{name, template}` (transformers' named templates);
 * newer repos keep it in chat_template.jinja (or chat_template.json) instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JambaUserError } from '../errors.js';

export interface HfTokenizerFiles {
  /** tokenizer_config.json merged over special_tokens_map.json (config wins). */
  config: Record<string, unknown>;
  /** bos_token, eos_token, unk_token, pad_token as strings, when given. */
  specialTokens: Record<string, string>;
  addBos: boolean | undefined;
  addEos: boolean | undefined;
  chatTemplates: Record<string, string>;
}

export function readJsonFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new JambaUserError(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new JambaUserError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** A special token as written in tokenizer_config.json / special_tokens_map.json. */
export function tokenContent(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string') {
    return (v as { content: string }).content;
  }
  return undefined;
}

/** Chat templates from a `chat_template` value: a string, or a list of {name, template}. */
export function parseChatTemplateField(v: unknown, where: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v === 'string') return { default: v };
  if (Array.isArray(v)) {
    const out: Record<string, string> = {};
    for (const item of v) {
      const name = (item as { name?: unknown })?.name;
      const template = (item as { template?: unknown })?.template;
      if (typeof name !== 'string' || typeof template !== 'string') {
        throw new JambaUserError(`${where}: chat_template list entries need string "name" and "template"`);
      }
      out[name] = template;
    }
    return out;
  }
  throw new JambaUserError(`${where}: chat_template must be a string or a list of {name, template}`);
}

/** Reads the side files of a tokenizer.json that lives in `folder`; every file is optional. */
export function readHfTokenizerFiles(folder: string): HfTokenizerFiles {
  const mapPath = join(folder, 'special_tokens_map.json');
  const cfgPath = join(folder, 'tokenizer_config.json');
  const map = existsSync(mapPath) ? readJsonFile(mapPath) : {};
  const cfg = existsSync(cfgPath) ? readJsonFile(cfgPath) : {};
  const config: Record<string, unknown> = { ...map, ...cfg };

  const specialTokens: Record<string, string> = {};
  for (const key of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) {
    const s = tokenContent(config[key]);
    if (s !== undefined) specialTokens[key] = s;
  }

  let chatTemplates = parseChatTemplateField(cfg.chat_template, cfgPath);
  const jinjaPath = join(folder, 'chat_template.jinja');
  const ctJsonPath = join(folder, 'chat_template.json');
  if (existsSync(jinjaPath)) {
    chatTemplates = { ...chatTemplates, default: readFileSync(jinjaPath, 'utf8') };
  } else if (existsSync(ctJsonPath)) {
    chatTemplates = { ...chatTemplates, ...parseChatTemplateField(readJsonFile(ctJsonPath).chat_template, ctJsonPath) };
  }

  const bool = (k: string): boolean | undefined => (typeof config[k] === 'boolean' ? (config[k] as boolean) : undefined);
  return { config, specialTokens, addBos: bool('add_bos_token'), addEos: bool('add_eos_token'), chatTemplates };
}
