/**
 * Hub downloads in-process against a fake Hub on 127.0.0.1 (test/helpers/fake-hub.ts): what is
 * fetched, the Hugging Face cache layout, resuming broken downloads, offline use, tokens and errors.
 * The CLI side (pull, generate --model owner/name, exit codes) is in hub-cli.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { JambaUserError } from '../../src/errors.js';
import { pullModel, type PullOptions } from '../../src/io/hub.js';
import { deadEndpoint, FakeHub, hubEnv } from '../helpers/fake-hub.js';
import { referenceDir } from '../helpers/reference.js';

const MOE = referenceDir('hybrid-moe');
const WEIGHTS = readFileSync(join(MOE, 'model.safetensors'));
const FOLDER = 'models--ai21labs--tiny-jamba';
let hub: FakeHub;

before(async () => {
  hub = await FakeHub.start({
    'ai21labs/tiny-jamba': {
      branches: ['v1'],
      files: {
        'config.json': { path: join(MOE, 'config.json') },
        'model.safetensors': { path: join(MOE, 'model.safetensors') },
        'generation_config.json': Buffer.from('{"do_sample": false}'),
        'README.md': Buffer.from('# tiny'),
        '.gitattributes': Buffer.from('*.safetensors filter=lfs'),
        'pytorch_model.bin': Buffer.alloc(1000, 7),
        'original/extra.safetensors': Buffer.alloc(1000, 8),
      },
    },
    'ai21labs/sharded': {
      files: {
        'config.json': Buffer.from('{}'),
        'tokenizer.json': Buffer.from('{"model": {}}'),
        'chat_template.jinja': Buffer.from('{{ messages }}'),
        'model.safetensors.index.json': Buffer.from(JSON.stringify({ weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } })),
        'model-00001-of-00002.safetensors': Buffer.alloc(3000, 1),
        'model-00002-of-00002.safetensors': Buffer.alloc(2000, 2),
        'consolidated.safetensors': Buffer.alloc(5000, 3),
      },
    },
    'someone/tiny-gguf': { files: { 'tiny-Q8_0.gguf': Buffer.alloc(4096, 9), 'tiny-F16.gguf': Buffer.alloc(8192, 5), 'README.md': Buffer.from('x') } },
    'ai21labs/gated': { token: 'hf_secret', files: { 'config.json': { path: join(MOE, 'config.json') }, 'model.safetensors': { path: join(MOE, 'model.safetensors') } } },
  });
});
after(() => hub.close());

/** A fresh cache and the options for pulling through the fake Hub into it. */
function fresh(extra: Record<string, string> = {}): { cache: string; opts: PullOptions } {
  const cache = mkdtempSync(join(tmpdir(), 'jamba-hub-'));
  return { cache, opts: { env: hubEnv(hub, cache, extra), backoffMs: 1 } };
}

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof JambaUserError, `not a user error: ${(e as Error).stack}`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

test('pull fetches only what a model needs, into the Hugging Face cache layout', async () => {
  const { cache, opts } = fresh();
  hub.requests.length = 0;
  const m = await pullModel('ai21labs/tiny-jamba', opts);
  const repoDir = join(cache, 'hub', FOLDER);
  const commit = hub.commitOf('ai21labs/tiny-jamba');
  assert.equal(m.commit, commit);
  assert.equal(m.path, join(repoDir, 'snapshots', commit));
  assert.deepEqual(m.downloaded.sort(), ['config.json', 'generation_config.json', 'model.safetensors']);
  assert.equal(readFileSync(join(repoDir, 'refs', 'main'), 'utf8'), commit);
  // Snapshot entries are relative symlinks to blobs named by the Hub's ETag (sha256 for LFS, git sha1 otherwise).
  const sha = hub.sha256Of('ai21labs/tiny-jamba', 'model.safetensors');
  assert.ok(lstatSync(join(m.path, 'model.safetensors')).isSymbolicLink());
  assert.equal(readlinkSync(join(m.path, 'model.safetensors')), join('..', '..', 'blobs', sha));
  assert.equal(readlinkSync(join(m.path, 'config.json')), join('..', '..', 'blobs', hub.gitSha1Of('ai21labs/tiny-jamba', 'config.json')));
  assert.ok(readFileSync(join(m.path, 'model.safetensors')).equals(WEIGHTS));
  assert.ok(!existsSync(join(m.path, 'README.md')) && !existsSync(join(m.path, 'pytorch_model.bin')) && !existsSync(join(m.path, 'original')));
  const asked = hub.requests.map((r) => r.path);
  for (const f of ['README.md', '.gitattributes', 'pytorch_model.bin', 'original/extra.safetensors']) {
    assert.ok(!asked.some((p) => p.endsWith('/' + f)), `${f} was requested`);
  }

  // Again: everything is cached, so only the revision is asked for.
  hub.requests.length = 0;
  const again = await pullModel('ai21labs/tiny-jamba', opts);
  assert.deepEqual(again.downloaded, []);
  assert.deepEqual(hub.requests.map((r) => r.path.split('?')[0]), [`/api/models/ai21labs/tiny-jamba/revision/main`]);
});

test('a branch revision is recorded in refs/; a commit revision is used as is', async () => {
  const { cache, opts } = fresh();
  const commit = hub.commitOf('ai21labs/tiny-jamba');
  const m = await pullModel('ai21labs/tiny-jamba@v1', opts);
  assert.equal(readFileSync(join(cache, 'hub', FOLDER, 'refs', 'v1'), 'utf8'), commit);
  const byCommit = await pullModel(`ai21labs/tiny-jamba@${commit}`, opts);
  assert.equal(byCommit.path, m.path);
  assert.deepEqual(byCommit.downloaded, []);
});

test('sharded weights: the index, then only the shards it names', async () => {
  const { opts } = fresh();
  const m = await pullModel('ai21labs/sharded', opts);
  assert.deepEqual(m.downloaded.sort(), ['chat_template.jinja', 'config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json', 'tokenizer.json']);
  assert.ok(!existsSync(join(m.path, 'consolidated.safetensors')));
});

test('one GGUF file by name (owner/name/file.gguf or --file); a GGUF-only repo asks which', async () => {
  const a = fresh();
  hub.requests.length = 0;
  const m = await pullModel('someone/tiny-gguf/tiny-Q8_0.gguf', a.opts);
  assert.equal(m.path, join(m.snapshot, 'tiny-Q8_0.gguf'));
  assert.ok(readFileSync(m.path).equals(Buffer.alloc(4096, 9)));
  assert.ok(!hub.requests.some((r) => r.path.includes('F16') || r.path.includes('README')));
  const b = await pullModel('someone/tiny-gguf', { ...fresh().opts, file: 'tiny-F16.gguf' });
  assert.equal(statSync(b.path).size, 8192);
  await rejects(pullModel('someone/tiny-gguf', fresh().opts), /holds GGUF files.*pick one.*tiny-Q8_0\.gguf/);
  await rejects(pullModel('someone/tiny-gguf/nope.gguf', fresh().opts), /no file nope\.gguf in the repo \(GGUF files: tiny-Q8_0\.gguf, tiny-F16\.gguf\)/);
});

test('a connection dropped mid-file is resumed with a Range request; bytes identical', async () => {
  const { opts } = fresh();
  hub.requests.length = 0;
  hub.drop.set('model.safetensors', { after: 600_000, times: 2 });
  try {
    const m = await pullModel('ai21labs/tiny-jamba', opts);
    assert.ok(readFileSync(join(m.path, 'model.safetensors')).equals(WEIGHTS));
  } finally {
    hub.drop.delete('model.safetensors');
  }
  const gets = hub.gets('ai21labs/tiny-jamba', 'model.safetensors');
  assert.deepEqual(gets.map((g) => g.range), [undefined, 'bytes=600000-', 'bytes=1200000-']);
});

test('a partial download left by an earlier run is continued from its size', async () => {
  const { cache, opts } = fresh();
  hub.drop.set('model.safetensors', { after: 500_000, times: 1 });
  try {
    await rejects(pullModel('ai21labs/tiny-jamba', { ...opts, retries: 0 }), /broke off at 500000 of 1617392 bytes.*run the same command again to resume/);
  } finally {
    hub.drop.delete('model.safetensors');
  }
  const sha = hub.sha256Of('ai21labs/tiny-jamba', 'model.safetensors');
  const part = join(cache, 'hub', FOLDER, 'blobs', `${sha}.incomplete`);
  assert.equal(statSync(part).size, 500_000);
  hub.requests.length = 0;
  const m = await pullModel('ai21labs/tiny-jamba', opts);
  assert.deepEqual(hub.gets('ai21labs/tiny-jamba', 'model.safetensors').map((g) => g.range), ['bytes=500000-']);
  assert.ok(readFileSync(join(m.path, 'model.safetensors')).equals(WEIGHTS));
  assert.ok(!existsSync(part));
});

test('a server that ignores Range restarts the file; a corrupt download is refused and deleted', async () => {
  const { cache, opts } = fresh();
  hub.drop.set('model.safetensors', { after: 300_000, times: 1 });
  hub.ignoreRange = true;
  try {
    hub.requests.length = 0;
    const m = await pullModel('ai21labs/tiny-jamba', opts);
    assert.ok(readFileSync(join(m.path, 'model.safetensors')).equals(WEIGHTS));
    assert.deepEqual(hub.gets('ai21labs/tiny-jamba', 'model.safetensors').map((g) => g.range), [undefined, 'bytes=300000-']);
  } finally {
    hub.ignoreRange = false;
    hub.drop.delete('model.safetensors');
  }
  const c = fresh();
  hub.corrupt.add('model.safetensors');
  try {
    await rejects(pullModel('ai21labs/tiny-jamba', c.opts), /model\.safetensors is corrupt \(sha256 [0-9a-f]{64}, expected [0-9a-f]{64}\)/);
  } finally {
    hub.corrupt.delete('model.safetensors');
  }
  const blobs = join(c.cache, 'hub', FOLDER, 'blobs');
  assert.ok(!existsSync(join(blobs, `${hub.sha256Of('ai21labs/tiny-jamba', 'model.safetensors')}.incomplete`)));
  assert.ok(existsSync(join(cache, 'hub', FOLDER)));
});

test('HF_HUB_OFFLINE uses the cache only, and says so when the model is not there', async () => {
  const { cache, opts } = fresh();
  const online = await pullModel('ai21labs/tiny-jamba', opts);
  hub.requests.length = 0;
  const off = await pullModel('ai21labs/tiny-jamba', { ...opts, env: hubEnv(hub, cache, { HF_HUB_OFFLINE: '1' }) });
  assert.equal(off.path, online.path);
  assert.equal(hub.requests.length, 0);
  await rejects(pullModel('ai21labs/tiny-jamba@v1', { ...opts, env: hubEnv(hub, cache, { HF_HUB_OFFLINE: '1' }) }), /ai21labs\/tiny-jamba@v1 is not in the Hugging Face cache .* HF_HUB_OFFLINE is set/);
  await rejects(pullModel('ai21labs/other', fresh({ HF_HUB_OFFLINE: 'true' }).opts), /not in the Hugging Face cache/);
});

test('an unreachable Hub falls back to a complete cached snapshot, else says it cannot reach it', async () => {
  const { cache, opts } = fresh();
  const online = await pullModel('ai21labs/tiny-jamba', opts);
  const dead = await deadEndpoint();
  const warnings: string[] = [];
  const m = await pullModel('ai21labs/tiny-jamba', { env: hubEnv(dead, cache), warn: (l) => warnings.push(l) });
  assert.equal(m.path, online.path);
  assert.match(warnings.join(), /cannot reach the Hub at http:\/\/127\.0\.0\.1:\d+ .*using the cached snapshot/);
  await rejects(pullModel('ai21labs/tiny-jamba', { env: hubEnv(dead, fresh().cache) }), /cannot reach the Hub at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\); set HF_HUB_OFFLINE=1/);
});

test('the token goes to the Hub (HF_TOKEN, HUGGING_FACE_HUB_TOKEN or the token file), never to the CDN', async () => {
  hub.requests.length = 0;
  await pullModel('ai21labs/gated', fresh({ HF_TOKEN: 'hf_secret' }).opts);
  const hubReqs = hub.requests.filter((r) => r.server === 'hub');
  const cdnReqs = hub.requests.filter((r) => r.server === 'cdn');
  assert.ok(hubReqs.length >= 3 && cdnReqs.length >= 1);
  assert.ok(hubReqs.every((r) => r.authorization === 'Bearer hf_secret'), JSON.stringify(hubReqs));
  assert.ok(cdnReqs.every((r) => r.authorization === undefined));
  await pullModel('ai21labs/gated', fresh({ HUGGING_FACE_HUB_TOKEN: 'hf_secret' }).opts);
  const viaFile = fresh();
  mkdirSync(join(viaFile.cache, 'home'), { recursive: true });
  writeFileSync(join(viaFile.cache, 'home', 'token'), 'hf_secret\n');
  await pullModel('ai21labs/gated', viaFile.opts);
});

test('Hub errors are one-line user errors: gated, not found, bad revision, bad id', async () => {
  await rejects(pullModel('ai21labs/gated', fresh().opts), /ai21labs\/gated is a gated repo: .*set HF_TOKEN.*\(HTTP 401\)/);
  await rejects(pullModel('ai21labs/gated', fresh({ HF_TOKEN: 'hf_wrong' }).opts), /gated repo and the token in HF_TOKEN has no access.*\(HTTP 403\)/);
  await rejects(pullModel('nobody/nothing', fresh().opts), /nobody\/nothing: repository not found on http:\/\/127\.0\.0\.1:\d+ \(if it is private or gated, set HF_TOKEN\)/);
  await rejects(pullModel('nobody/nothing', fresh({ HF_TOKEN: 'hf_x' }).opts), /nobody\/nothing: repository not found on http:\/\/127\.0\.0\.1:\d+$/);
  await rejects(pullModel('ai21labs/tiny-jamba@nope', fresh().opts), /revision 'nope' not found/);
  await rejects(pullModel('not a repo', fresh().opts), /'not a repo' is not a Hugging Face repo id/);
});

test('a progress bar is drawn on a terminal, and nothing otherwise', async () => {
  let out = '';
  const tty = Object.assign(new Writable({ write(c, _e, cb) { out += String(c); cb(); } }), { isTTY: true, columns: 120 });
  await pullModel('ai21labs/tiny-jamba', { ...fresh().opts, progress: tty as unknown as NodeJS.WriteStream });
  assert.match(out, /ai21labs\/tiny-jamba .*\|.*100% \| 1\.62 MB\/1\.62 MB/);
  out = '';
  const pipe = Object.assign(new Writable({ write(c, _e, cb) { out += String(c); cb(); } }), { isTTY: false });
  await pullModel('ai21labs/tiny-jamba', { ...fresh().opts, progress: pipe as unknown as NodeJS.WriteStream });
  assert.equal(out, '');
});
