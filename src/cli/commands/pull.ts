/**
 * `jamba pull <owner/name>[@revision] [--file <name.gguf>]`: downloads what a model needs into the
 * Hugging Face cache (shared with Python tools) and prints the local path: the snapshot folder, or the
 * file with --file / `owner/name/file.gguf`. Resumes partial downloads; honours HF_TOKEN, HF_ENDPOINT,
 * HF_HUB_OFFLINE, HF_HUB_CACHE / HF_HOME (see io/hub.ts).
 */
import { JambaUserError } from '../../errors.js';
import { pullModel } from '../../io/hub.js';
import type { Command } from '../command.js';

export const pullCommand: Command = {
  name: 'pull',
  usage: '<owner/name>[@revision] [--file <name>]',
  summary: 'download a model from the Hugging Face Hub into the local cache',
  flags: {
    file: { type: 'string', value: '<name>', description: 'fetch this one file (e.g. a .gguf) instead of the HF model files' },
  },
  async run(f) {
    const [ref, ...extra] = f.positionals;
    if (ref === undefined) throw new JambaUserError("missing repo id: 'jamba pull <owner/name>[@revision]'");
    if (extra.length) throw new JambaUserError(`'jamba pull' takes one repo id, got also: ${extra.join(' ')}`);
    const m = await pullModel(ref, { file: f.string('file') });
    process.stdout.write(m.path + '\n');
    return 0;
  },
};
