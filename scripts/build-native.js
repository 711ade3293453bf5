#!/usr/bin/env node
// Builds the native backend's addon (build/Release/jamba_native.node) with node-gyp. Run by
// `npm install` / `npm ci`; a failed build prints one note and exits 0, because everything still works
// on the reference backend. `--strict` (npm run build:native) exits non-zero on failure instead.
// JAMBA_SKIP_NATIVE=1 skips the build. Node's headers are taken from this Node's install prefix when
// they are there, so no download is needed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const strict = process.argv.includes('--strict');
const note = (why) => {
  console.error(`jamba-ts: the native addon was not built (${why}); jamba-ts still works on the slower ` +
    `reference backend. Retry with 'npm run build:native'.`);
  process.exit(strict ? 1 : 0);
};

if (process.env.JAMBA_SKIP_NATIVE === '1') note('JAMBA_SKIP_NATIVE=1');

function findNodeGyp() {
  try { return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'); } catch { /* not a local dependency */ }
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return fromNpm;
  const prefix = dirname(dirname(process.execPath));
  for (const p of [join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
    join(prefix, 'node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')]) {
    if (existsSync(p)) return p;
  }
  return null;
}

const gyp = findNodeGyp();
if (!gyp) note('node-gyp not found');
const args = [gyp, 'rebuild', '--loglevel=warn', '-j', String(availableParallelism())];
const prefix = dirname(dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include/node/node_api.h'))) args.push(`--nodedir=${prefix}`);
const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
if (r.status !== 0) note(`node-gyp exited with ${r.status ?? r.signal}`);
console.error('jamba-ts: native addons built (build/Release/jamba_native.node, jamba_train.node)');
