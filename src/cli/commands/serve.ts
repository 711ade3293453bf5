/**
 * `jamba serve [--model <ref>] --port <p> [--model-id <id>]`: the OpenAI-compatible server on 127.0.0.1
 * (src/server/; the shipped model when --model is absent), with continuous batching and prompt reuse (src/engine/). The tokenizer comes from the
 * model folder or GGUF file unless --tokenizer names one. SIGINT/SIGTERM shut down gracefully.
 */
import { resolve } from 'node:path';
import { CacheStore, modelFingerprint } from '../../engine/cache-store.js';
import { PromptCache } from '../../engine/prompt-cache.js';
import { Engine } from '../../engine/scheduler.js';
import { JambaUserError } from '../../errors.js';
import { createBackend } from '../../backends/index.js';
import { openCheckpoint } from '../../io/checkpoint.js';
import { readGgufMetadata } from '../../io/gguf/source.js';
import { modelFromCheckpoint } from '../../model/load.js';
import { modelIdFor } from '../../server/model-id.js';
import { JambaServer } from '../../server/server.js';
import { loadTokenizer, tokenizerFromGgufMetadata } from '../../tokenizer/load.js';
import type { Tokenizer } from '../../tokenizer/tokenizer.js';
import { MODEL_RUN_FLAGS, type Command } from '../command.js';
import { runOptions } from '../model-options.js';
import { requireDefaultModel } from '../../api/default-model.js';

export const serveCommand: Command = {
  name: 'serve',
  usage: '[--model <ref>] --port <p> [--model-id <id>]',
  summary: 'OpenAI-compatible HTTP server on 127.0.0.1 (chat and text completions, streaming)',
  flags: {
    model: { type: 'string', value: '<ref>', description: 'model folder, .gguf file or Hub repo id' },
    port: { type: 'string', value: '<p>', description: 'TCP port on 127.0.0.1 (0: any free port)', default: '8080' },
    'model-id': { type: 'string', value: '<id>', description: 'the id clients use (default: folder/file name without extension)' },
    tokenizer: { type: 'string', value: '<path>', description: 'tokenizer folder, tokenizer.json or .gguf (default: from the model)' },
    'max-active': { type: 'string', value: '<n>', description: 'sequences in the running batch', default: '16' },
    'max-queue': { type: 'string', value: '<n>', description: 'requests that may wait; more get 503 + Retry-After', default: '64' },
    'step-tokens': { type: 'string', value: '<n>', description: 'tokens per batched step (decode rows + prefill chunks)', default: '256' },
    'prefill-chunk': { type: 'string', value: '<n>', description: 'prompt tokens per prefill chunk', default: '64' },
    'cache-mb': { type: 'string', value: '<n>', description: 'prompt-cache size in MiB (0: no prompt reuse)', default: '1024' },
    'cache-dir': { type: 'string', value: '<dir>', description: 'keep prompt-cache checkpoints on disk here (survive restarts)' },
    'checkpoint-every': { type: 'string', value: '<n>', description: 'checkpoint a sequence every n tokens (0: message ends only)', default: '1024' },
    'request-timeout': { type: 'string', value: '<s>', description: 'seconds a request may take, queue included', default: '600' },
    ...MODEL_RUN_FLAGS,
  },
  async run(f) {
    const ref = f.string('model') ?? requireDefaultModel();
    const port = f.int('port', { min: 0, max: 65535 })!;
    const opts = runOptions(f);
    const ck = await openCheckpoint(ref);
    const tokenizer = await tokenizerFor(f.string('tokenizer'), ck.folder, ck.ggufMetadata, ref);
    const model = modelFromCheckpoint(ck, createBackend(opts.backend, opts.threads));
    const cacheMb = f.number('cache-mb', { min: 0 })!;
    const cache = cacheMb > 0 ? new PromptCache(Math.floor(cacheMb * 2 ** 20)) : null;
    const dir = f.string('cache-dir');
    let store: CacheStore | null = null;
    if (dir && cache) {
      store = new CacheStore(resolve(dir), model.memoryLayout(), modelFingerprint(ck.folder ?? ref, ck.config));
      const r = store.loadInto(cache);
      process.stderr.write(`jamba serve: prompt cache: ${r.loaded} checkpoints read from ${store.dir}${r.corrupt ? `, ${r.corrupt} damaged ones removed` : ''}\n`);
    } else if (dir) {
      throw new JambaUserError('--cache-dir needs a prompt cache (--cache-mb > 0)');
    }
    const engine = new Engine(model, {
      maxActive: f.int('max-active', { min: 1, max: 4096 }),
      maxQueue: f.int('max-queue', { min: 0 }),
      stepTokens: f.int('step-tokens', { min: 2 }),
      prefillChunk: f.int('prefill-chunk', { min: 1 }),
      ctxSize: opts.ctxSize ?? Math.min(model.config.maxPositionEmbeddings, 4096),
      checkpointEvery: f.int('checkpoint-every', { min: 0 }),
      cache,
    });
    const eosIds = [...new Set([...model.config.eosTokenIds, ...tokenizer.eosIds])];
    const modelId = modelIdFor(ref, f.string('model-id'));
    const server = new JambaServer({
      engine, tokenizer, modelId, eosIds,
      requestTimeoutMs: f.number('request-timeout', { min: 0 })! * 1000 || undefined,
      log: (l) => process.stderr.write(`jamba serve: ${l}\n`),
      onDone: ({ kind, result: r }) => process.stderr.write(
        `jamba serve: ${kind} prompt=${r.promptTokens} cached=${r.cachedTokens} generated=${r.tokens.length} finish=${r.finish} ` +
        `queued=${r.timing.queuedMs.toFixed(0)}ms first-token=${r.timing.firstTokenMs?.toFixed(0) ?? '-'}ms total=${r.timing.totalMs.toFixed(0)}ms\n`),
    });
    let addr;
    try {
      addr = await server.listen(port);
    } catch (e) {
      throw new JambaUserError(`cannot listen on 127.0.0.1:${port}: ${(e as Error).message}`);
    }
    process.stdout.write(`jamba serve: ${modelId} on http://127.0.0.1:${addr.port}/v1 (context ${engine.ctxSize}, batch ${engine.maxActive})\n`);
    await new Promise<void>((done) => {
      const stop = (): void => {
        process.stderr.write('jamba serve: shutting down\n');
        void server.close().then(() => store?.flush()).then(done);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};

async function tokenizerFor(explicit: string | undefined, folder: string | undefined, gguf: Map<string, unknown> | undefined, ref: string): Promise<Tokenizer> {
  if (explicit) return loadTokenizer(explicit, { readGgufMetadata });
  if (gguf) return tokenizerFromGgufMetadata(gguf, ref);
  if (folder) {
    try {
      return await loadTokenizer(folder, { readGgufMetadata });
    } catch (e) {
      throw new JambaUserError(`${(e as Error).message}; pass --tokenizer <folder|tokenizer.json|file.gguf>`);
    }
  }
  throw new JambaUserError(`cannot find a tokenizer for ${ref}; pass --tokenizer <folder|tokenizer.json|file.gguf>`);
}
