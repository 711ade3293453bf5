/**
 * `jamba train --config <json> --data <files> --out <dir>`: trains a Jamba model on text files (see
 * src/train/trainer.ts and docs/TRAINING.md). Flags override the config's training section.
 */
import { readFileSync } from 'node:fs';
import { JambaUserError } from '../../errors.js';
import { parseRecipe } from '../../train/recipe.js';
import { runTraining } from '../../train/trainer.js';
import type { BackendKind } from '../../backends/index.js';
import { MODEL_RUN_FLAGS } from '../command.js';
import type { Command } from '../command.js';

export const trainCommand: Command = {
  name: 'train',
  usage: '--config <json> --data <file> [--data <file>]... --out <dir>',
  summary: 'train a Jamba model (and a BPE tokenizer) on text files',
  flags: {
    config: { type: 'string', value: '<json>', description: 'model config + training settings (docs/TRAINING.md)' },
    data: { type: 'string', multiple: true, value: '<file>', description: 'training text; documents separated by <|endoftext|> lines' },
    out: { type: 'string', value: '<dir>', description: 'output folder: HF model, tokenizer, checkpoint, loss.svg' },
    tokenizer: { type: 'string', value: '<folder|tokenizer.json>', description: 'use this tokenizer instead of training one' },
    resume: { type: 'boolean', description: 'continue from <out>/checkpoint' },
    steps: { type: 'string', value: '<n>', description: 'total optimiser steps (overrides training.steps)' },
    'max-steps': { type: 'string', value: '<n>', description: 'stop after n steps in this run (the schedule keeps --steps)' },
    seed: { type: 'string', value: '<n>', description: 'seed for init and data order (overrides training.seed)' },
    quiet: { type: 'boolean', description: 'no progress output' },
    ...MODEL_RUN_FLAGS,
  },
  async run(f) {
    const cfgPath = f.requireString('config');
    const data = f.strings('data');
    if (data.length === 0) throw new JambaUserError('missing required flag --data');
    const out = f.requireString('out');
    let raw: unknown;
    try { raw = JSON.parse(readFileSync(cfgPath, 'utf8')); } catch (e) {
      throw new JambaUserError(`cannot read --config ${cfgPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const recipe = parseRecipe(raw, cfgPath);
    const steps = f.int('steps', { min: 1 });
    if (steps !== undefined) recipe.training.steps = steps;
    const seed = f.int('seed', { min: 0 });
    if (seed !== undefined) recipe.training.seed = seed;
    const r = await runTraining({
      recipe, dataFiles: data, outDir: out, tokenizer: f.string('tokenizer'), resume: f.bool('resume'),
      maxSteps: f.int('max-steps', { min: 1 }), out: f.bool('quiet') ? null : process.stderr,
      backend: f.string('backend') as BackendKind, threads: f.int('threads', { min: 1 }),
    });
    const last = r.history[r.history.length - 1];
    process.stdout.write(JSON.stringify({ out, step: r.step, loss: last?.loss, val_loss: r.valLoss, parameters: r.params, tokens_per_second: Math.round(r.tokensPerSecond) }) + '\n');
    return 0;
  },
};
