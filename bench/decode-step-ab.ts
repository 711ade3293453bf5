/**
 * The recorded decode step against the op-by-op path, in one process (not part of npm test): two
 * sequences prefilled alike, then blocks of 16 one-token steps alternating between the paths (the
 * order flipped every pair, as the host's speed drifts within seconds); prints each path's median
 * ms/token and the median of the per-pair ratios. Also times the op-by-op step as a dry run (every op
 * called with zero sizes): the JavaScript and addon crossings a recorded step saves.
 *
 *   node dist/bench/decode-step-ab.js --model <gguf|folder> [--threads 2] [--pairs 30]
 */
import { flag, median, toolModel } from './common.js';

const { be, model } = await toolModel('decode-step-ab', 'node dist/bench/decode-step-ab.js --model <gguf|folder> [--threads 2] [--pairs 30]');
const pairs = Number(flag('pairs') ?? 30);
const out = new Float32Array(model.dims.V);
const prompt = Array.from({ length: 64 }, (_, i) => i + 1);
const seqs = { recorded: model.newSequence(), js: model.newSequence() };
for (const s of Object.values(seqs)) { model.forward([{ memory: s, tokens: prompt }]); s.reserve(64 + 16 * (2 * pairs + 2)); }

/** ms per token of 16 steps on one path */
function block(recorded: boolean): number {
  model.recordedSteps = recorded;
  const seq = recorded ? seqs.recorded : seqs.js;
  const t0 = performance.now();
  for (let i = 0; i < 16; i++) model.forward([{ memory: seq, tokens: [5 + i] }], { out });
  return (performance.now() - t0) / 16;
}
block(true); block(false);
const rec: number[] = [], js: number[] = [], ratio: number[] = [];
for (let i = 0; i < pairs; i++) {
  let r: number, j: number;
  if (i % 2) { r = block(true); j = block(false); } else { j = block(false); r = block(true); }
  rec.push(r); js.push(j); ratio.push(r / j);
}
const dry: number[] = [];
if (be.dryRun) {
  model.recordedSteps = false;
  const seq = model.newSequence();
  be.dryRun(() => {
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      for (let i = 0; i < 200; i++) model.forward([{ memory: seq, tokens: [1] }], { out });
      dry.push((performance.now() - t0) / 200);
    }
  });
}
console.log(`op by op ${median(js).toFixed(3)} ms/token, recorded ${median(rec).toFixed(3)} ms/token; recorded / op by op, median of ${pairs} pairs: ${median(ratio).toFixed(3)}`);
if (dry.length) console.log(`op-by-op step as a dry run (JavaScript and addon crossings only): ${(1000 * median(dry)).toFixed(0)} µs/token`);
