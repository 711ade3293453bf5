/**
 * JIT warm-up at load. V8 runs a function's JavaScript unoptimised until it has run a while, then
 * optimises it on a background thread. Decoding one token runs a few hundred backend calls from the
 * model's JavaScript, so for the first ~20 tokens that JavaScript ran slowly, and on a 2-core machine
 * the optimising compiler's thread took a core from the kernels: tokens 10-20 of a decode took up to 3x
 * their steady time (bench-small q4_k_m after a 512-token prefill: the first 24 tokens 25-47 ms over
 * their steady time without this warm-up, 6-22 ms with it, about 6 % of a 128-token decode; llama.cpp
 * likewise runs a warm-up decode when it loads a model).
 *
 * The warm-up runs the model's own forward on a dry twin of its backend (Backend.dryTwin: the same
 * class, every op a no-op) for a few steps on a scratch sequence: no kernel runs, no weight is read,
 * the model's workspace and memories are not touched, and it costs tens of milliseconds whatever the
 * model's size. A backend without a dry twin (the reference one) is left alone.
 */
import { JambaModel } from './jamba.js';

/** One-token steps of the dry run: the mixers' functions are optimised after 8-16 tokens' worth. */
export const WARMUP_STEPS = 32;

/** Runs the dry warm-up; returns the forwards it ran (0 where the backend has no dry twin). */
export function warmJit(model: JambaModel, steps = WARMUP_STEPS): number {
  const dry = model.backend.dryTwin?.();
  if (!dry || steps <= 0) return 0;
  const twin = new JambaModel(model.config, model.weights, dry);
  const seq = twin.newSequence();
  const out = new Float32Array(twin.dims.V);
  const tok = [0];
  const batch = [{ memory: seq, tokens: tok }];
  const opts = { logits: 'last' as const, out };
  twin.forward([{ memory: seq, tokens: [0, 1, 2, 3] }], opts); // a short prefill first, as a real run has
  for (let i = 0; i < steps; i++) {
    tok[0] = i % twin.dims.V;
    twin.forward(batch, opts);
  }
  return steps + 1;
}
