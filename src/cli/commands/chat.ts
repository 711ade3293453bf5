/**
 * `jamba chat [--model <ref>]`: an interactive chat that streams each answer, keeps the conversation and
 * the model state between turns (api/session.ts: each turn prefills only its new tokens), and can save
 * and load the whole session. Commands: /help, /reset, /save <file>, /load <file>, /history, /exit.
 *
 * On a terminal: a "> " prompt; Ctrl-C stops the answer being written (and leaves at the prompt).
 * Reading a pipe: each line is one user message; stdout gets each answer followed by a newline and
 * nothing else (command feedback goes to stderr), and the first error ends the chat with exit code 2,
 * like any other user error.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { chatTemplateOf } from '../../api/chat.js';
import type { ChatSession, SessionOptions } from '../../api/session.js';
import type { TextModel } from '../../api/text-model.js';
import { JambaUserError } from '../../errors.js';
import type { Flags } from '../args.js';
import { MODEL_RUN_FLAGS, type Command } from '../command.js';
import { statsLine, textModelFromFlags, textOptionsFromFlags, TEXT_FLAGS } from './run.js';

const HELP = [
  'Type a message and press Enter. Commands:',
  '  /reset          start over (keeps the system prompt)',
  '  /save <file>    save the whole session (messages and model state)',
  '  /load <file>    continue a saved session',
  '  /history        show the conversation',
  '  /help           this list',
  '  /exit           leave (also /quit, Ctrl-D)',
].join('\n');

function sessionOptions(f: Flags): SessionOptions {
  const o: SessionOptions = textOptionsFromFlags(f);
  const system = f.string('system');
  if (system !== undefined) o.system = system;
  return o;
}

class ChatRepl {
  private controller: AbortController | null = null;

  constructor(private readonly tm: TextModel, private session: ChatSession, private readonly opts: SessionOptions, private readonly stats: boolean) {}

  /** Ctrl-C: stop the answer being written; true if there was one. */
  interrupt(): boolean {
    if (!this.controller) return false;
    this.controller.abort();
    return true;
  }

  /** Handles one input line; returns false to leave. */
  async line(raw: string): Promise<boolean> {
    const text = raw.trim();
    if (text === '') return true;
    if (!text.startsWith('/')) {
      await this.answer(raw);
      return true;
    }
    const [cmd, ...rest] = text.split(/\s+/);
    const arg = rest.join(' ');
    const needFile = (): string => {
      if (!arg) throw new JambaUserError(`${cmd} needs a file name: ${cmd} <file>`);
      return arg;
    };
    switch (cmd) {
      case '/exit': case '/quit': return false;
      case '/help': note(HELP); break;
      case '/reset': this.session.reset(); note('conversation cleared'); break;
      case '/save': {
        const file = needFile();
        this.session.save(file);
        note(`saved ${this.session.messages.length} messages and ${this.session.tokens.length} tokens of model state to ${file}`);
        break;
      }
      case '/load': {
        const file = needFile();
        this.session = this.tm.loadSession(file, this.opts);
        note(`loaded ${this.session.messages.length} messages and ${this.session.tokens.length} tokens of model state from ${file}`);
        break;
      }
      case '/history':
        for (const m of this.session.messages) note(`${m.role}: ${m.content ?? ''}${m.tool_calls ? ' ' + JSON.stringify(m.tool_calls) : ''}`);
        break;
      default:
        throw new JambaUserError(`unknown command ${cmd} (type /help for the list)`);
    }
    return true;
  }

  private async answer(text: string): Promise<void> {
    this.controller = new AbortController();
    try {
      const g = this.session.send(text, { signal: this.controller.signal });
      for await (const chunk of g) process.stdout.write(chunk);
      const r = await g.result;
      process.stdout.write(r.finishReason === 'cancelled' && process.stdout.isTTY ? ' [stopped]\n' : '\n');
      if (this.stats) process.stderr.write(statsLine('chat', r) + '\n');
    } finally {
      this.controller = null;
    }
  }
}

function note(s: string): void {
  process.stderr.write(s + '\n');
}

export const chatCommand: Command = {
  name: 'chat',
  usage: '[--model <ref>] [--system <text>] [--load <file>] [--max-tokens <n>] [--temperature <t>] [--seed <s>]',
  summary: 'interactive chat with streaming, history, /save and /load of the whole session',
  flags: {
    system: { type: 'string', value: '<text>', description: 'system prompt' },
    load: { type: 'string', value: '<file>', description: 'continue a session saved with /save' },
    'chat-template': { type: 'string', value: '<file>', description: 'a Jinja chat template to use instead of the model\'s' },
    'max-tokens': { type: 'string', value: '<n>', description: 'most tokens per answer', default: '1024' },
    ...TEXT_FLAGS,
    ...MODEL_RUN_FLAGS,
  },
  async run(f) {
    if (f.positionals.length > 0) throw new JambaUserError(`jamba chat takes no arguments (got '${f.positionals[0]}'); type messages after it starts`);
    const opts = sessionOptions(f);
    const tplPath = f.string('chat-template');
    let chatTemplate: string | undefined;
    if (tplPath !== undefined) {
      try {
        chatTemplate = readFileSync(tplPath, 'utf8');
      } catch (e) {
        throw new JambaUserError(`cannot read --chat-template ${tplPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    const tm = await textModelFromFlags(f, { chatTemplate });
    const load = f.string('load');
    const session = load !== undefined ? tm.loadSession(load, opts) : tm.session(opts);
    chatTemplateOf(tm, opts); // a model without a chat template fails now, not at the first message
    const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
    const repl = new ChatRepl(tm, session, opts, f.bool('stats'));
    const rl = createInterface({ input: process.stdin, output: tty ? process.stdout : undefined, terminal: tty });
    rl.on('SIGINT', () => { if (!repl.interrupt()) rl.close(); });
    if (tty) {
      note(`jamba chat: ${tm.ref}${load ? ` (session ${load})` : ''}. Type /help for commands, /exit to leave.`);
      rl.setPrompt('> ');
      rl.prompt();
    }
    try {
      for await (const line of rl) {
        let more: boolean;
        try {
          more = await repl.line(line);
        } catch (e) {
          if (!(e instanceof JambaUserError) || !tty) throw e;
          note(`jamba chat: ${e.message}`);
          more = true;
        }
        if (!more) break;
        if (tty) rl.prompt();
      }
    } finally {
      rl.close();
    }
    return 0;
  },
};
