/**
 * JIT warm-up at load. V8 runs a function's JavaScript unoptimised until it has run a while, then
 * optimises it on a background thread. Decoding one token runs a few hundred backend calls from the
 * model's JavaScript, so for the first ~20 tokens that JavaScript ran slowly, and on a 2-core machine
 * the optimising compiler's thread took a core from the kernels: tokens 10-20 of a decode took up to 3x
 * their steady time (bench-small q4_k_m after a 512-token prefill: the first 24 tokens 25-47 ms over
 * their steady time without a warm-up; llama.cpp likewise runs a warm-up decode when it loads a model).
 *
 * The warm-up runs the model's own forward for a few steps on a scratch sequence, inside the backend's
 * dryRun (Backend.dryRun: every op still goes to the kernels, with its sizes zero). Nothing is computed,
 * no weight is read, the model's workspace and memories are not touched, and it costs tens of
 * milliseconds whatever the model's size; the code V8 optimises has met the real objects and call
 * targets, so nothing is recompiled when real tokens come. A backend without dryRun (the reference
 * one) is left alone.
 *
 * Where the backend records steps (decode-step.ts), a one-token forward runs far less JavaScript; the
 * warm-up then records the twin's step (recording is never a dry run: the program outlives it) and
 * replays it with the backend checking only, and still warms the prefill path with its 4 tokens.
 */
import { JambaModel } from './jamba.js';

/** One-token steps of the dry run: the mixers' functions are optimised after 8-16 tokens' worth. */
export const WARMUP_STEPS = 32;

/** Runs the dry warm-up; returns the forwards it ran (0 where the backend has no dryRun). */
export function warmJit(model: JambaModel, steps = WARMUP_STEPS): number {
  const be = model.backend;
  if (!be.dryRun || steps <= 0) return 0;
  const twin = new JambaModel(model.config, model.weights, be); // its own workspace
  const seq = twin.newSequence();
  const out = new Float32Array(twin.dims.V);
  const tok = [0];
  const batch = [{ memory: seq, tokens: tok }];
  const opts = { logits: 'last' as const, out };
  be.dryRun(() => {
    twin.forward([{ memory: seq, tokens: [0, 1, 2, 3] }], opts); // a short prefill first, as a real run has
    for (let i = 0; i < steps; i++) {
      tok[0] = i % twin.dims.V;
      twin.forward(batch, opts);
    }
  });
  return steps + 1;
}
