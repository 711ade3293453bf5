/**
 * `jamba run "<prompt>" [--model <ref>] [--max-tokens <n>] [--temperature <t>] [--seed <s>] …`: streams
 * the continuation of a prompt to stdout (contract in docs/architecture.md), then a newline. With no
 * --model it runs the model shipped in the repository (api/default-model.ts). The prompt '-' reads
 * stdin. Sampling defaults are llama.cpp's (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05);
 * --temperature 0 is greedy. The sampling flags and their reader are shared with `jamba chat`.
 */
import { readFileSync } from 'node:fs';
import { requireDefaultModel } from '../../api/default-model.js';
import type { GenerateResult } from '../../api/decode-loop.js';
import type { GenerateOptions } from '../../api/options.js';
import { loadTextModel, type TextModel } from '../../api/text-model.js';
import { JambaUserError } from '../../errors.js';
import type { FlagSpec, Flags } from '../args.js';
import { MODEL_RUN_FLAGS, type Command } from '../command.js';
import { runOptions } from '../model-options.js';

/** Model, tokenizer and sampling flags of `run` and `chat`. */
export const TEXT_FLAGS: Record<string, FlagSpec> = {
  model: { type: 'string', value: '<ref>', description: 'model folder, .gguf file or Hub repo id (default: the model shipped in models/)' },
  tokenizer: { type: 'string', value: '<path>', description: 'tokenizer folder, tokenizer.json or .gguf (default: the model\'s own)' },
  temperature: { type: 'string', value: '<t>', description: 'sampling temperature; 0 is greedy', default: '0.8' },
  'top-k': { type: 'string', value: '<n>', description: 'sample from the n most likely tokens (0: all)', default: '40' },
  'top-p': { type: 'string', value: '<p>', description: 'nucleus sampling: smallest set with probability ≥ p (1: off)', default: '0.95' },
  'min-p': { type: 'string', value: '<p>', description: 'drop tokens less likely than p × the most likely (0: off)', default: '0.05' },
  'repeat-penalty': { type: 'string', value: '<r>', description: 'repetition penalty (1: off)', default: '1' },
  'presence-penalty': { type: 'string', value: '<p>', description: 'presence penalty (0: off)', default: '0' },
  'frequency-penalty': { type: 'string', value: '<f>', description: 'frequency penalty (0: off)', default: '0' },
  'repeat-last-n': { type: 'string', value: '<n>', description: 'penalties look at the last n generated tokens', default: '64' },
  'logit-bias': { type: 'string', multiple: true, value: '<id=bias>', description: 'add bias to a token\'s logit (-inf bans it; repeatable)' },
  seed: { type: 'string', value: '<s>', description: 'random seed (default: a fresh one each run)' },
  stop: { type: 'string', multiple: true, value: '<s>', description: 'stop before this text (repeatable)' },
  'ignore-eos': { type: 'boolean', description: 'keep generating past end-of-sequence tokens' },
  stats: { type: 'boolean', description: 'print token counts, speeds and the finish reason on stderr' },
};

function logitBias(f: Flags): Map<number, number> | undefined {
  const list = f.strings('logit-bias');
  if (list.length === 0) return undefined;
  const m = new Map<number, number>();
  for (const s of list) {
    const hit = /^(\d+)[=:](.+)$/.exec(s.trim());
    const b = hit ? (/^-inf(inity)?$/i.test(hit[2]!) ? -Infinity : Number(hit[2])) : NaN;
    if (!hit || Number.isNaN(b) || b === Infinity) throw new JambaUserError(`--logit-bias must look like <id>=<bias>, got '${s}'`);
    m.set(Number(hit[1]), b);
  }
  return m;
}

/** The sampling and stopping options the flags ask for. */
export function textOptionsFromFlags(f: Flags): GenerateOptions {
  const o: GenerateOptions = {
    temperature: f.number('temperature', { min: 0 }),
    topK: f.int('top-k', { min: 0 }),
    topP: f.number('top-p', { min: 0, max: 1 }),
    minP: f.number('min-p', { min: 0, max: 1 }),
    repetitionPenalty: f.number('repeat-penalty'),
    presencePenalty: f.number('presence-penalty'),
    frequencyPenalty: f.number('frequency-penalty'),
    penaltyLastN: f.int('repeat-last-n', { min: 0 }),
    logitBias: logitBias(f),
    seed: f.int('seed'),
    maxTokens: f.int('max-tokens', { min: 0 }),
    ignoreEos: f.bool('ignore-eos'),
  };
  if (o.topP === 0) throw new JambaUserError('--top-p must be above 0, got 0');
  if (o.repetitionPenalty !== undefined && o.repetitionPenalty <= 0) throw new JambaUserError(`--repeat-penalty must be above 0, got ${o.repetitionPenalty}`);
  const stop = f.strings('stop');
  if (stop.length) o.stop = stop;
  return o;
}

/** Loads the model named by --model (or the shipped one) with --tokenizer and the common run flags. */
export async function textModelFromFlags(f: Flags, extra: { chatTemplate?: string } = {}): Promise<TextModel> {
  const ref = f.string('model') ?? requireDefaultModel();
  const r = runOptions(f);
  return loadTextModel(ref, { backend: r.backend, threads: r.threads, ctxSize: r.ctxSize, tokenizer: f.string('tokenizer'), ...extra });
}

const fmt = (v: number | null, unit: string): string => (v === null ? 'n/a' : `${v.toFixed(1)} ${unit}`);

/** One line of counts and speeds, for --stats. */
export function statsLine(cmd: string, r: GenerateResult): string {
  return `jamba ${cmd}: prompt ${r.promptTokens} tokens (${r.cachedTokens} reused, ${r.prefilledTokens} prefilled at ${fmt(r.timings.prefillTokensPerSecond, 'tok/s')}), ` +
    `${r.generatedTokens} generated (${fmt(r.timings.decodeTokensPerSecond, 'tok/s')}), first token after ${fmt(r.timings.timeToFirstTokenMs, 'ms')}, finish: ${r.finishReason}`;
}

export const runCommand: Command = {
  name: 'run',
  usage: '"<prompt>" [--model <ref>] [--max-tokens <n>] [--temperature <t>] [--seed <s>]',
  summary: 'stream the continuation of a prompt to stdout',
  flags: {
    'max-tokens': { type: 'string', value: '<n>', description: 'most new tokens', default: '256' },
    ...TEXT_FLAGS,
    ...MODEL_RUN_FLAGS,
  },
  async run(f) {
    if (f.positionals.length !== 1) {
      throw new JambaUserError(f.positionals.length === 0 ? 'missing the prompt: jamba run "<prompt>" (or - to read stdin)' : `expected one prompt, got ${f.positionals.length} arguments (quote the prompt)`);
    }
    const prompt = f.positionals[0] === '-' ? readFileSync(0, 'utf8') : f.positionals[0]!;
    if (prompt === '') throw new JambaUserError('the prompt is empty');
    const opts = textOptionsFromFlags(f);
    const tm = await textModelFromFlags(f);
    const ac = new AbortController();
    process.stdout.on('error', () => ac.abort()); // a closed pipe (| head) ends generation quietly
    const g = tm.generate(prompt, { ...opts, signal: ac.signal });
    for await (const chunk of g) process.stdout.write(chunk);
    process.stdout.write('\n');
    if (f.bool('stats')) process.stderr.write(statsLine('run', await g.result) + '\n');
    return 0;
  },
};
