/**
 * Loads a tokenizer from what a user names: a model folder (its tokenizer.json with
 * tokenizer_config.json / special_tokens_map.json / chat_template.jinja beside it), a tokenizer.json
 * file, or a .gguf file (its `tokenizer.ggml.*` metadata), or from GGUF metadata already read.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { JambaUserError } from '../errors.js';
import { GgufTokenizer } from './gguf-tokenizer.js';
import type { GgufMetadata } from './gguf-vocab.js';
import { loadHfTokenizer } from './hf-tokenizer.js';
import type { Tokenizer } from './tokenizer.js';

/** Reads a GGUF file's metadata (supplied by io/, so tokenizer/ does not depend on it). */
export type GgufMetadataReader = (path: string) => GgufMetadata | Promise<GgufMetadata>;

export interface LoadTokenizerOptions {
  readGgufMetadata?: GgufMetadataReader;
}

export function tokenizerFromGgufMetadata(meta: GgufMetadata, origin: string): Tokenizer {
  return new GgufTokenizer(origin, meta);
}

export async function loadTokenizer(path: string, options: LoadTokenizerOptions = {}): Promise<Tokenizer> {
  if (!existsSync(path)) throw new JambaUserError(`tokenizer path ${path} does not exist`);
  if (statSync(path).isDirectory()) {
    const tj = join(path, 'tokenizer.json');
    if (existsSync(tj)) return loadHfTokenizer(tj, path);
    throw new JambaUserError(
      existsSync(join(path, 'tokenizer.model'))
        ? `${path} has only a SentencePiece tokenizer.model; jamba-ts reads tokenizer.json or a .gguf`
        : `${path} has no tokenizer.json`,
    );
  }
  if (path.toLowerCase().endsWith('.gguf')) {
    // tokenizer/ stands alone: the caller (cli/, the library API) hands in io/'s GGUF reader.
    if (!options.readGgufMetadata) throw new Error('loadTokenizer: a .gguf path needs options.readGgufMetadata');
    return tokenizerFromGgufMetadata(await options.readGgufMetadata(path), path);
  }
  if (path.toLowerCase().endsWith('.json')) return loadHfTokenizer(path, dirname(path));
  throw new JambaUserError(`${basename(path)}: expected a folder, a tokenizer.json or a .gguf file`);
}
