/**
 * `jamba tokenize --tokenizer <folder|tokenizer.json|file.gguf> --text <s> [--no-special]`: prints the
 * JSON array of token ids (contract in docs/architecture.md). `--text -` reads the text from stdin, as
 * is (a trailing newline counts). `--no-special` only stops BOS/EOS from being added; special-token
 * text inside the input is still handled as the tokenizer file specifies.
 */
import { readFileSync } from 'node:fs';
import { readGgufMetadata } from '../../io/gguf/source.js';
import { loadTokenizer } from '../../tokenizer/load.js';
import type { Command } from '../command.js';

export const tokenizeCommand: Command = {
  name: 'tokenize',
  usage: '--tokenizer <folder|tokenizer.json|file.gguf> --text <s> [--no-special]',
  summary: 'print the token ids of a text as a JSON array',
  flags: {
    tokenizer: { type: 'string', value: '<path>', description: 'model folder, tokenizer.json or .gguf file' },
    text: { type: 'string', value: '<s>', description: "the text ('-' reads stdin)" },
    'no-special': { type: 'boolean', description: 'do not add BOS/EOS' },
  },
  async run(f) {
    const path = f.requireString('tokenizer');
    const arg = f.requireString('text');
    const text = arg === '-' ? readFileSync(0, 'utf8') : arg;
    const tok = await loadTokenizer(path, { readGgufMetadata });
    const ids = tok.encode(text, { addSpecial: !f.bool('no-special') });
    process.stdout.write(JSON.stringify(ids) + '\n');
    return 0;
  },
};
