/** `jamba logits`: one uncached forward pass per --ids sequence; raw float32 [sequences, tokens, vocab]. */
import { writeFileSync } from 'node:fs';
import { JambaUserError } from '../../errors.js';
import { Flags } from '../args.js';
import { MODEL_RUN_FLAGS, type Command } from '../command.js';
import { checkCtx, loadModelFromFlags } from '../model-options.js';

export const logitsCommand: Command = {
  name: 'logits',
  usage: '--model <ref> --ids <i,j,k> [--ids <...>]... --out <file>',
  summary: 'write the logits of every position (raw little-endian float32 [sequences, tokens, vocab])',
  flags: {
    model: { type: 'string', value: '<ref>', description: 'model folder, .gguf file or Hub repo id' },
    ids: { type: 'string', multiple: true, value: '<i,j,k>', description: 'token ids of one sequence (repeatable)' },
    out: { type: 'string', value: '<file>', description: 'output file' },
    ...MODEL_RUN_FLAGS,
  },
  async run(f) {
    const ref = f.requireString('model');
    const out = f.requireString('out');
    const seqs = f.strings('ids').map((s) => Flags.idList('ids', s));
    if (seqs.length === 0) throw new JambaUserError('missing required flag --ids');
    const T = seqs[0]!.length;
    if (seqs.some((s) => s.length !== T)) throw new JambaUserError(`all --ids sequences must have the same length (got ${seqs.map((s) => s.length).join(', ')})`);
    const { model, opts } = await loadModelFromFlags(f, ref);
    checkCtx(opts, T, 'a --ids sequence');
    const logits = model.forward(seqs.map((tokens) => ({ memory: model.newSequence(), tokens })), { logits: 'all' });
    writeFileSync(out, new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength));
    return 0;
  },
};
