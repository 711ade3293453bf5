#!/usr/bin/env node
// The kernels build to WebAssembly and compute there what they compute natively (npm run check:wasm).
// Builds kernels/wasm/selftest.c with the generic kernel set from the same sources with the C compiler
// (cc, or $CC) and with Emscripten (emcc, or $EMCC; Debian: apt-get install emscripten), the latter
// twice: without threads and with them (the pool's worker a Web Worker on shared memory). The sources
// are binding.gyp's: the generic set's and the addon's own, less its N-API glue (binding*.c). Asks all
// three for 2 threads (the WebAssembly ones run under this Node; the one without threads gets 1) and
// compares every value they print: each must be bit-identical (the generic kernels round every operation
// in a fixed order, and their exp and log are their own). Exits 1 with the first differences, 2 when a
// compiler is missing; needs no network and no npm packages.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
/* binding.gyp is JSON once its comment lines are dropped */
const gyp = JSON.parse(readFileSync(join(root, 'binding.gyp'), 'utf8').split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n'));
const target = (name) => gyp.targets.find((t) => t.target_name === name).sources;
const sources = [...target('jt_generic'), ...target('jamba_native').filter((f) => !/\/binding[^/]*\.c$/.test(f)), 'kernels/wasm/selftest.c']
  .map((f) => join(root, f));
const flags = ['-std=gnu11', '-O3', '-ffp-contract=off', '-Wno-unused-function', '-DJT_ISA=1', '-DJT_ISA_MAX=1'];
const dir = mkdtempSync(join(tmpdir(), 'jamba-wasm-'));

/** a failure that ends the check with `exitCode` (2: a compiler is missing) */
class CheckError extends Error {
  constructor(message, exitCode = 1) { super(message); this.exitCode = exitCode; }
}

/* runs cmd; with `out`, its standard output goes to that file (a threaded WebAssembly program writes it
 * from a worker, which fails with EAGAIN on a full pipe) and comes back as r.stdout */
function run(cmd, args, what, hint, env = process.env, out = null) {
  const fd = out ? openSync(out, 'w') : null;
  let r;
  try {
    r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, env, stdio: ['ignore', fd ?? 'pipe', 'pipe'] });
  } finally {
    if (fd !== null) closeSync(fd);
  }
  if (out && r.status === 0) r.stdout = readFileSync(out, 'utf8');
  if (r.error && r.error.code === 'ENOENT') throw new CheckError(`${cmd} not found (${what}); ${hint}`, 2);
  if (r.status !== 0) throw new CheckError(`${what} failed (${cmd} exited with ${r.status ?? r.signal}):\n${r.stderr.slice(-3000)}`);
  return r;
}

/** differences between two listings of "op index bits" lines; throws if they do not list the same values */
function compare(la, lb, name) {
  if (la.length !== lb.length) throw new CheckError(`the native build printed ${la.length} values, ${name} ${lb.length}`);
  const f = new Float32Array(1), u = new Uint32Array(f.buffer);
  const value = (hex) => { u[0] = parseInt(hex, 16); return f[0]; };
  let same = 0, worst = 0;
  const bad = [], ops = new Set();
  for (let i = 0; i < la.length; i++) {
    const [opA, iA, hA] = la[i].split(' '), [opB, iB, hB] = lb[i].split(' ');
    if (opA !== opB || iA !== iB) throw new CheckError(`line ${i + 1}: native ${opA}[${iA}], ${name} ${opB}[${iB}]`);
    ops.add(opA.replace(/-T\d+.*$/, ''));
    if (hA === hB) { same++; continue; }
    const x = value(hA), y = value(hB), rel = Math.abs(x - y) / Math.max(1, Math.abs(x));
    worst = Math.max(worst, Number.isFinite(rel) ? rel : Infinity);
    bad.push(`${opA}[${iA}]: native ${x}, ${name} ${y}`);
  }
  return { same, worst, bad, ops };
}

try {
  const cc = process.env.CC || 'cc', emcc = process.env.EMCC || 'emcc';
  const ccHint = 'install a C compiler or set CC', emHint = 'Debian: apt-get install emscripten, or set EMCC';
  // Debian's emscripten runs its JS tools under whichever node is first on PATH and finds their modules
  // (acorn) in /usr/share/nodejs, where only Debian's own nodejs looks by default
  const emEnv = { ...process.env, NODE_PATH: [process.env.NODE_PATH, '/usr/share/nodejs'].filter(Boolean).join(':') };
  run(cc, ['--version'], 'the native build', ccHint); // both present before any build
  run(emcc, ['--version'], 'the WebAssembly build', emHint, emEnv);
  const native = join(dir, 'selftest');
  run(cc, [...flags, ...sources, '-o', native, '-lpthread', '-lm'], 'the native build', ccHint);
  // the module inlined (SINGLE_FILE): emscripten 3.1's loader would otherwise fetch() a file path, which
  // Node 20 refuses. Without -pthread the pool's thread creation fails and it runs on the calling thread;
  // with it, the pool's worker is a Web Worker (a worker_thread under Node) on shared memory.
  const em = ['-sSINGLE_FILE=1', '-sENVIRONMENT=node,worker'];
  const wasm = [
    { name: 'WebAssembly', file: 'selftest.js', args: [...em, '-sALLOW_MEMORY_GROWTH=1'] },
    // with threads: a fixed 64 MB (growing shared memory is slow), and the runtime exits when main returns
    { name: 'WebAssembly with threads', file: 'selftest-mt.js', args: [...em, '-pthread', '-sPTHREAD_POOL_SIZE=2', '-sINITIAL_MEMORY=64MB', '-sEXIT_RUNTIME=1'] },
  ];
  for (const w of wasm) run(emcc, [...flags, ...sources, '-o', join(dir, w.file), ...w.args], `the ${w.name} build`, emHint, emEnv);
  const a = run(native, ['2'], 'the native self-test', '', process.env, join(dir, 'native.txt'));
  console.log(`native:                   ${a.stderr.trim()}`);
  const la = a.stdout.trim().split('\n');
  let failed = false;
  for (const w of wasm) {
    const b = run(process.execPath, [join(dir, w.file), '2'], `the ${w.name} self-test`, '', process.env, join(dir, `${w.file}.txt`));
    const { same, worst, bad, ops } = compare(la, b.stdout.trim().split('\n'), w.name);
    console.log(`${(w.name + ':').padEnd(26)}${b.stderr.trim()}; ${la.length} values from ${ops.size} ops, ${same} bit-identical` +
      (bad.length ? `, largest relative difference ${worst.toExponential(2)}` : ''));
    if (bad.length) {
      console.error(`check-wasm: ${bad.length} values differ:\n  ${bad.slice(0, 10).join('\n  ')}`);
      failed = true;
    }
  }
  if (failed) process.exitCode = 1;
  else console.log('check-wasm: the WebAssembly builds compute what the native generic build computes');
} catch (e) {
  if (!(e instanceof CheckError)) throw e;
  console.error(`check-wasm: ${e.message}`);
  process.exitCode = e.exitCode;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
