/** `npm run bench` flags (and cache-probe's): --help answers, and a bad flag ends the run with one line naming it before anything is measured. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../bench/main.js', import.meta.url));
function bench(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bench --help prints the flags and exits 0 without measuring', () => {
  for (const h of ['--help', '-h']) {
    const r = bench([h]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^usage: npm run bench -- --json <file>.*--skip-long\]\n$/s);
    assert.doesNotMatch(r.stderr, /machine/);
  }
});

test('bench rejects an unknown flag, a stray argument, a missing value and bad numbers, naming them', () => {
  const cases: [string[], RegExp][] = [
    [['--bogus'], /^bench: unknown flag '--bogus' \(--help lists the flags\)\n$/],
    [['json.json'], /^bench: unexpected argument 'json.json'/],
    [['--json'], /^bench: --json needs a value\n$/],
    [['--runs', '--quick'], /^bench: --runs needs a value\n$/],
    [['--runs', '0'], /^bench: --runs must be a positive integer, got '0'\n$/],
    [['--long-runs', '-2'], /^bench: --long-runs must be a positive integer, got '-2'\n$/],
    [['--threads', '1.5'], /^bench: --threads must be a positive integer, got '1.5'\n$/],
    [['--types', 'q9'], /^bench: --types: unknown weight type 'q9' \(one of /],
  ];
  for (const [args, want] of cases) {
    const r = bench(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want, args.join(' '));
    assert.equal(r.stdout, '', args.join(' '));
  }
});

test('cache-probe names a bad flag or a missing model before measuring anything', () => {
  const PROBE = fileURLToPath(new URL('../../bench/cache-probe.js', import.meta.url));
  const cases: [string[], number, RegExp, Record<string, string>?][] = [
    [[], 2, /^usage: node dist\/bench\/cache-probe\.js --model <gguf>/],
    [['--model', 'm.gguf', '--context', 'lots'], 2, /^cache-probe: --context must be an integer ≥ 0, got 'lots'\n$/],
    [['--model', 'm.gguf', '--tokens', '0'], 2, /^cache-probe: --tokens must be a positive integer, got '0'\n$/],
    [['--model', '/nonexistent/m.gguf'], 1, /^cache-probe: .*\/nonexistent\/m\.gguf/],
    [['--model', fileURLToPath(new URL('../../../models/jamba-tinystories', import.meta.url))], 2, /^cache-probe: --model must be a GGUF file .*not a folder\n$/],
    // the shared tool helper: an addon that will not load is one line, not a stack trace
    [['--model', 'm.gguf'], 1, /^cache-probe: the native backend is not available: cannot load \/nonexistent\/addon\.node/,
      { JAMBA_NATIVE_ADDON: '/nonexistent/addon.node' }],
  ];
  for (const [args, code, want, env] of cases) {
    const r = spawnSync(process.execPath, [PROBE, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
    assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want, args.join(' '));
    assert.equal(r.stdout, '', args.join(' '));
  }
});

test('decode-profile checks its counts before loading the model', () => {
  const TOOL = fileURLToPath(new URL('../../bench/decode-profile.js', import.meta.url));
  const cases: [string[], RegExp][] = [
    [['--model', '/nonexistent/m.gguf', '--decode', 'x'], /^decode-profile: --decode must be a positive integer, got 'x'\n$/],
    [['--model', '/nonexistent/m.gguf', '--top', '0'], /^decode-profile: --top must be a positive integer, got '0'\n$/],
    [['--model', '/nonexistent/m.gguf', '--context', '-5'], /^decode-profile: --context must be an integer ≥ 0, got '-5'\n$/],
  ];
  for (const [args, want] of cases) {
    const r = spawnSync(process.execPath, [TOOL, ...args], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want, args.join(' '));
    assert.equal(r.stdout, '', args.join(' '));
  }
});

test('child-jamba --cold times tokens after a cache-emptying sweep, and reports memory from before the sweep buffer', () => {
  const CHILD = fileURLToPath(new URL('../../bench/child-jamba.js', import.meta.url));
  const model = fileURLToPath(new URL('../../../models/jamba-tinystories', import.meta.url));
  const run = (cold: number) => {
    const r = spawnSync(process.execPath, [CHILD, '--model', model, '--threads', '2', '--prefill', '0', '--decode', '4', '--warmup', '1', '--context', '64', '--cold', String(cold)], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
  };
  const with3 = run(3), without = run(0);
  assert.equal(with3.decode_cold_tokens, 3);
  assert.ok(with3.decode_cold_tokens_per_s! > 0 && Number.isFinite(with3.decode_cold_tokens_per_s), String(with3.decode_cold_tokens_per_s));
  assert.equal(without.decode_cold_tokens_per_s, undefined);
  // the 1 GB sweep buffer is not counted in the engine's memory
  assert.ok(with3.peak_rss_mb! < without.peak_rss_mb! + 256, `${with3.peak_rss_mb} vs ${without.peak_rss_mb}`);
  const bad = spawnSync(process.execPath, [CHILD, '--model', model, '--cold', '-1'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /^child-jamba: --cold must be an integer ≥ 0, got '-1'\n$/);
});
