#!/usr/bin/env node
// The kernels build to WebAssembly and compute there what they compute natively (npm run check:wasm).
// Builds kernels/wasm/selftest.c with the generic kernel set twice from the same sources — with the C
// compiler (cc, or $CC) and with Emscripten (emcc, or $EMCC; Debian: apt-get install emscripten) —,
// runs both (the WebAssembly one under this Node) and compares every value they print: each must be
// bit-identical (the generic kernels round every operation in a fixed order, and their exp and log are
// their own). Exits 1 with the first differences, 2 when a compiler is missing; needs no network and no
// npm packages.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const ops = ['matmul', 'quant', 'qdot', 'norm', 'attention', 'mamba', 'elementwise', 'dispatch', 'threadpool'];
const sources = [...ops.map((f) => join(root, 'kernels', `${f}.c`)), join(root, 'kernels/wasm/selftest.c')];
const flags = ['-std=gnu11', '-O3', '-ffp-contract=off', '-Wno-unused-function', '-DJT_ISA=1', '-DJT_ISA_MAX=1'];
const dir = mkdtempSync(join(tmpdir(), 'jamba-wasm-'));

function run(cmd, args, what, hint, env = process.env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, env });
  if (r.error && r.error.code === 'ENOENT') {
    console.error(`check-wasm: ${cmd} not found (${what}); ${hint}`);
    rmSync(dir, { recursive: true, force: true });
    process.exit(2);
  }
  if (r.status !== 0) {
    console.error(`check-wasm: ${what} failed (${cmd} exited with ${r.status ?? r.signal}):\n${r.stderr.slice(-3000)}`);
    rmSync(dir, { recursive: true, force: true });
    process.exit(1);
  }
  return r;
}

try {
  const cc = process.env.CC || 'cc', emcc = process.env.EMCC || 'emcc';
  const native = join(dir, 'selftest'), wasm = join(dir, 'selftest.js');
  // Debian's emscripten runs its JS tools under whichever node is first on PATH and finds their modules
  // (acorn) in /usr/share/nodejs, where only Debian's own nodejs looks by default
  const emEnv = { ...process.env, NODE_PATH: [process.env.NODE_PATH, '/usr/share/nodejs'].filter(Boolean).join(':') };
  run(cc, ['--version'], 'the native build', 'install a C compiler or set CC'); // both present before either build
  run(emcc, ['--version'], 'the WebAssembly build', 'Debian: apt-get install emscripten, or set EMCC', emEnv);
  run(cc, [...flags, ...sources, '-o', native, '-lpthread', '-lm'], 'the native build', 'install a C compiler or set CC');
  // Emscripten without -pthread: the pool's thread creation fails and it runs on the calling thread.
  run(emcc, [...flags, ...sources, '-o', wasm, '-sALLOW_MEMORY_GROWTH=1', '-sENVIRONMENT=node',
    // the module inlined: emscripten 3.1's loader would otherwise fetch() a file path, which Node 20 refuses
    '-sSINGLE_FILE=1'], 'the WebAssembly build', 'Debian: apt-get install emscripten, or set EMCC', emEnv);
  const a = run(native, ['2'], 'the native self-test', ''), b = run(process.execPath, [wasm, '2'], 'the WebAssembly self-test', '');
  console.log(`native:      ${a.stderr.trim()}`);
  console.log(`WebAssembly: ${b.stderr.trim()}`);
  const la = a.stdout.trim().split('\n'), lb = b.stdout.trim().split('\n');
  if (la.length !== lb.length) throw new Error(`the builds printed ${la.length} and ${lb.length} values`);
  const f = new Float32Array(1), u = new Uint32Array(f.buffer);
  const value = (hex) => { u[0] = parseInt(hex, 16); return f[0]; };
  let same = 0, worst = 0;
  const bad = [], perOp = new Map();
  for (let i = 0; i < la.length; i++) {
    const [opA, iA, hA] = la[i].split(' '), [opB, iB, hB] = lb[i].split(' ');
    if (opA !== opB || iA !== iB) throw new Error(`line ${i + 1}: native ${opA}[${iA}], WebAssembly ${opB}[${iB}]`);
    const op = opA.replace(/-T\d+.*$/, '');
    perOp.set(op, (perOp.get(op) ?? 0) + 1);
    if (hA === hB) { same++; continue; }
    const x = value(hA), y = value(hB), rel = Math.abs(x - y) / Math.max(1, Math.abs(x));
    worst = Math.max(worst, Number.isFinite(rel) ? rel : Infinity);
    bad.push(`${opA}[${iA}]: native ${x}, WebAssembly ${y}`);
  }
  console.log(`${la.length} values from ${perOp.size} ops (${[...perOp.keys()].join(', ')}): ` +
    `${same} bit-identical, largest relative difference ${worst.toExponential(2)}`);
  if (bad.length) {
    console.error(`check-wasm: ${bad.length} values differ:\n  ${bad.slice(0, 10).join('\n  ')}`);
    process.exit(1);
  }
  console.log('check-wasm: the WebAssembly build computes what the native generic build computes');
} catch (e) {
  console.error(`check-wasm: ${e.message}`);
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
