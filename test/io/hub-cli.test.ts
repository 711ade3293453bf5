/**
 * Hub downloads as a user meets them, through the `jamba` command against a fake Hub on 127.0.0.1:
 * `jamba pull`, `jamba generate --model owner/name` on demand and offline, resuming, the token, and
 * one-line exit-2 errors. Library-level details are in hub.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUserError } from '../helpers/cli.js';
import { deadEndpoint, FakeHub, hubEnv, jambaAsync } from '../helpers/fake-hub.js';
import { referenceCases, referenceDir } from '../helpers/reference.js';

const MOE = referenceDir('hybrid-moe');
const REPO = 'ai21labs/tiny-jamba';
let hub: FakeHub;

before(async () => {
  hub = await FakeHub.start({
    [REPO]: { files: { 'config.json': { path: join(MOE, 'config.json') }, 'model.safetensors': { path: join(MOE, 'model.safetensors') }, 'README.md': Buffer.from('# tiny') } },
    'ai21labs/gated': { token: 'hf_secret', files: { 'config.json': { path: join(MOE, 'config.json') }, 'model.safetensors': { path: join(MOE, 'model.safetensors') } } },
  });
});
after(() => hub.close());

const newCache = () => mkdtempSync(join(tmpdir(), 'jamba-hubcli-'));

test('jamba pull prints the snapshot path; resumes a dropped connection; quiet when not a terminal', async () => {
  const cache = newCache();
  hub.requests.length = 0;
  hub.drop.set('model.safetensors', { after: 700_000, times: 1 });
  let r;
  try {
    r = await jambaAsync(['pull', REPO], hubEnv(hub, cache));
  } finally {
    hub.drop.delete('model.safetensors');
  }
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const snap = r.stdout.trim();
  assert.equal(snap, join(cache, 'hub', 'models--ai21labs--tiny-jamba', 'snapshots', hub.commitOf(REPO)));
  assert.ok(readFileSync(join(snap, 'model.safetensors')).equals(readFileSync(join(MOE, 'model.safetensors'))));
  assert.deepEqual(hub.gets(REPO, 'model.safetensors').map((g) => g.range), [undefined, 'bytes=700000-']);
  assert.ok(realpathSync(join(snap, 'config.json')).startsWith(join(cache, 'hub', 'models--ai21labs--tiny-jamba', 'blobs')));
});

test('a pull killed by Ctrl-C (SIGINT) leaves a partial file that the next pull continues with a Range request', async () => {
  const cache = newCache();
  const sha = hub.sha256Of(REPO, 'model.safetensors');
  const part = join(cache, 'hub', 'models--ai21labs--tiny-jamba', 'blobs', `${sha}.incomplete`);
  hub.slow.set('model.safetensors', { chunk: 32_768, delayMs: 25 });
  let first;
  try {
    first = await jambaAsync(['pull', REPO], hubEnv(hub, cache), 30_000, (p) => {
      const poll = setInterval(() => {
        if ((statSync(part, { throwIfNoEntry: false })?.size ?? 0) >= 200_000) { clearInterval(poll); p.kill('SIGINT'); }
      }, 10);
      p.on('exit', () => clearInterval(poll));
    });
  } finally {
    hub.slow.delete('model.safetensors');
  }
  assert.equal(first.signal, 'SIGINT', `the pull did not stop on SIGINT: ${JSON.stringify(first)}`);
  const kept = statSync(part).size;
  assert.ok(kept >= 200_000 && kept < 1_617_392, String(kept));
  hub.requests.length = 0;
  const second = await jambaAsync(['pull', REPO], hubEnv(hub, cache));
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(hub.gets(REPO, 'model.safetensors').map((g) => g.range), [`bytes=${kept}-`]);
  assert.ok(readFileSync(join(second.stdout.trim(), 'model.safetensors')).equals(readFileSync(join(MOE, 'model.safetensors'))));
});

test('jamba generate --model owner/name downloads on demand, then runs offline from the cache', async () => {
  const c = referenceCases('hybrid-moe').find((x) => x.name === 'short')!;
  const args = ['generate', '--model', REPO, '--ids', c.input_ids[0]!.join(','), '--max-tokens', '16', '--greedy', '--json', '--ignore-eos', '--backend', 'ref'];
  const cache = newCache();
  const online = await jambaAsync(args, hubEnv(hub, cache));
  assert.equal(online.code, 0, online.stderr);
  assert.deepEqual(JSON.parse(online.stdout), { ids: c.generated_ids });
  // Offline, with the Hub gone: the cache alone serves.
  const offline = await jambaAsync(args, hubEnv(await deadEndpoint(), cache, { HF_HUB_OFFLINE: '1' }));
  assert.equal(offline.code, 0, offline.stderr);
  assert.deepEqual(JSON.parse(offline.stdout), { ids: c.generated_ids });
  // Offline without the model in the cache: one clear line, exit 2.
  const missing = await jambaAsync(args, hubEnv(hub, newCache(), { HF_HUB_OFFLINE: '1' }));
  const bad = isUserError(missing, /^jamba: ai21labs\/tiny-jamba@main \(and no local folder or file of that name exists\) is not in the Hugging Face cache \(.*\) and HF_HUB_OFFLINE is set/);
  assert.equal(bad, null, bad ?? '');
});

test('HF_TOKEN is sent as a bearer token for a gated repo', async () => {
  hub.requests.length = 0;
  const r = await jambaAsync(['pull', 'ai21labs/gated'], hubEnv(hub, newCache(), { HF_TOKEN: 'hf_secret' }));
  assert.equal(r.code, 0, r.stderr);
  const toHub = hub.requests.filter((q) => q.server === 'hub');
  assert.ok(toHub.length > 0 && toHub.every((q) => q.authorization === 'Bearer hf_secret'));
});

const ERRORS: [string, () => Promise<[string[], NodeJS.ProcessEnv]>, RegExp][] = [
  ['gated without a token (401)', async () => [['pull', 'ai21labs/gated'], hubEnv(hub, newCache())], /^jamba: ai21labs\/gated is a gated repo: .*set HF_TOKEN/],
  ['repo not found (404)', async () => [['info', '--model', 'nobody/nothing'], hubEnv(hub, newCache(), { HF_TOKEN: 'hf_x' })], /^jamba: nobody\/nothing: repository not found on http:\/\/127\.0\.0\.1:\d+ \(and no local folder or file of that name exists\)$/],
  ['revision not found (404)', async () => [['pull', `${REPO}@v9`], hubEnv(hub, newCache())], /^jamba: ai21labs\/tiny-jamba: revision 'v9' not found/],
  ['Hub unreachable, nothing cached', async () => [['pull', REPO], hubEnv(await deadEndpoint(), newCache())], /^jamba: ai21labs\/tiny-jamba: cannot reach the Hub at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\); set HF_HUB_OFFLINE=1/],
  ['not a repo id', async () => [['pull', 'just-a-name'], hubEnv(hub, newCache())], /^jamba: 'just-a-name' is not a Hugging Face repo id/],
  ['no repo id', async () => [['pull'], hubEnv(hub, newCache())], /^jamba: missing repo id/],
  ['file not in the repo', async () => [['pull', REPO, '--file', 'x.gguf'], hubEnv(hub, newCache())], /^jamba: ai21labs\/tiny-jamba@main: no file x\.gguf in the repo$/],
];

for (const [name, make, re] of ERRORS) {
  test(`user error: ${name}`, async () => {
    const [args, env] = await make();
    const bad = isUserError(await jambaAsync(args, env), re);
    assert.equal(bad, null, bad ?? '');
  });
}

test('jamba pull --help names the forms and --file', async () => {
  const r = await jambaAsync(['pull', '--help'], hubEnv(hub, newCache()));
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: jamba pull <owner\/name>\[@revision\]/);
  assert.match(r.stdout, /--file <name>/);
});
