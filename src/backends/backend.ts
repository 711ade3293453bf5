/**
 * The op interface every backend implements. The model (src/model/) is written only against this;
 * `ref` (plain TypeScript) is the oracle that every faster backend is tested against.
 *
 * Conventions
 * - Activations are float32, row-major `[T, n]` (T tokens, n features), passed as Float32Array.
 * - Weights are `Weight`s in their stored dtype (f32, f16, bf16 or a quantised block type).
 * - Outputs are written into caller-owned buffers (no allocation in the decode loop).
 * - Batch invariance: the value computed for one row (token) never depends on T or on the other rows
 *   in the call. Every reduction over a row runs in a fixed order. The server's batching relies on it.
 */
import type { Weight } from '../tensor/weight.js';

/** Activation used by SwiGLU, the Mamba conv output and the Mamba gate (`hidden_act`). */
export type Act = 'silu' | 'gelu' | 'relu';

export interface AttentionArgs {
  /** [T, nH*d] queries of the T new tokens. */
  q: Float32Array;
  /** [S, nKV*d] keys / values of every cached position (the T new ones are the last T rows). */
  k: Float32Array;
  v: Float32Array;
  T: number;
  /** S = past + T; query t sits at position past + t and sees keys 0..past+t. */
  past: number;
  nH: number;
  nKV: number;
  d: number;
  scale: number;
  /** [T, nH*d] output. */
  out: Float32Array;
}

export interface ConvArgs {
  /** [T, E] input sequence (in_proj's first half); row t starts at t*uStride. */
  u: Float32Array;
  uStride: number;
  /** [E, K-1] previous K-1 inputs per channel, oldest first; updated in place to the last K-1. */
  state: Float32Array;
  /** [E, K] depthwise kernel; tap K-1 multiplies the current token. */
  w: Float32Array;
  bias: Float32Array | null;
  T: number;
  E: number;
  K: number;
  act: Act;
  /** [T, E] act(conv(u)). May not alias u. */
  out: Float32Array;
}

export interface ScanArgs {
  /** [T, E] conv output after activation (Mamba's x / u). */
  u: Float32Array;
  /** [T, E] dt_proj(δ) + bias, before softplus. */
  dt: Float32Array;
  /** [E, N] A = -exp(A_log). */
  A: Float32Array;
  /** [T, N] and [T, N]; rows may be strided: row t starts at t*bcStride + offset. */
  B: Float32Array;
  C: Float32Array;
  bOffset: number;
  cOffset: number;
  bcStride: number;
  /** [E] skip. */
  D: Float32Array;
  /** [T, E] gate input (in_proj's second half). Row stride zStride, offset zOffset. */
  z: Float32Array;
  zOffset: number;
  zStride: number;
  /** [E, N] state, updated in place. */
  h: Float32Array;
  T: number;
  E: number;
  N: number;
  act: Act;
  /** [T, E] (Σ_n h·C + D·u) ⊙ act(z). */
  out: Float32Array;
}

/** One matmul of a `matmulMany` call: y = x·Wᵀ (+ bias) over T rows, as `matmul` takes it. */
export interface MatmulOp {
  y: Float32Array;
  x: Float32Array;
  w: Weight;
  T: number;
  bias?: Float32Array | null;
}

/** One token's attention at the position a recorded step runs at (OpRecorder.attendStep). */
export interface AttendStepArgs {
  /** [nH*d] the token's query; [nKV*d] its key and value. */
  q: Float32Array;
  kNew: Float32Array;
  vNew: Float32Array;
  /** The caches: kNew and vNew go to row P, then q attends over rows 0..P. */
  kCache: Float32Array;
  vCache: Float32Array;
  nH: number;
  nKV: number;
  d: number;
  scale: number;
  /** [nH*d] */
  out: Float32Array;
}

/** One token through a MoE's chosen experts (OpRecorder.experts); model/ffn.ts's moeFfn for T = 1. */
export interface ExpertsArgs {
  /** [H] the normalised input. */
  x: Float32Array;
  /** The k chosen experts and their routing weights, read when the step runs. */
  sel: Int32Array;
  wts: Float32Array;
  k: number;
  act: Act;
  /** Per expert: [I, H], [I, H] and [H, I]. */
  gate: readonly Weight[];
  up: readonly Weight[];
  down: readonly Weight[];
  /** Scratch [k*I], [k*I], [k*H]; the result [H]. */
  g: Float32Array;
  u: Float32Array;
  y: Float32Array;
  out: Float32Array;
}

/**
 * Recording of a one-token step (optional; the native backend): the ops a function calls on the
 * backend inside `record` are checked and kept instead of run, and the program `record` returns
 * replays any range of them with one call, at a position given then. The recorded ops keep pointers
 * to the arrays they were given: the caller keeps those arrays (and their contents' meaning) as long
 * as it runs the program.
 */
export interface OpRecorder {
  /** Whether every one of these weights can be recorded (a weight type without a native kernel cannot). */
  supports(weights: readonly Weight[]): boolean;
  record(fn: () => void): RecordedProgram;
  /** Inside `record`: how many ops are recorded so far (a boundary between segments). */
  mark(): number;
  attendStep(a: AttendStepArgs): void;
  experts(a: ExpertsArgs): void;
}

export interface RecordedProgram {
  /** Runs ops [from, to) at position P (the sequence's length before the token). */
  run(from: number, to: number, P: number): void;
}

export interface Backend {
  readonly name: string;
  /** y[t, o] = Σ_i x[t, i]·W[o, i] (+ bias[o]); W is [out, in]. x is [T, in], y is [T, out]. */
  matmul(y: Float32Array, x: Float32Array, w: Weight, T: number, bias?: Float32Array | null): void;
  /**
   * Several independent matmuls (no op's y overlaps another op's x or y), each with exactly the result
   * `matmul` gives it alone; a backend may run them as one parallel job (a gate and an up projection,
   * the chosen experts of a MoE layer) and share the work on an x they have in common.
   */
  matmulMany(ops: readonly MatmulOp[]): void;
  /** out[t] = w ⊙ x[t]·(mean(x[t]²) + eps)^-½ over rows of length n, row stride `stride` (default n) in x and out. */
  rmsNorm(out: Float32Array, x: Float32Array, w: Float32Array, T: number, n: number, eps: number, stride?: number): void;
  /** out[t, :] = table[ids[t], :] as float32. */
  embed(out: Float32Array, ids: Int32Array, table: Weight): void;
  /** out[i] = act(gate[i])·up[i] for i < n. out may alias gate. */
  gatedAct(out: Float32Array, gate: Float32Array, up: Float32Array, n: number, act: Act): void;
  /** x[i] += y[i] for i < n. */
  add(x: Float32Array, y: Float32Array, n: number): void;
  /** Causal softmax attention with grouped KV heads; softmax in float32. */
  attention(a: AttentionArgs): void;
  /** Mamba's causal depthwise conv with carried state, followed by the activation. */
  conv1d(a: ConvArgs): void;
  /** Mamba's selective scan with softplus(Δ) (pass-through above 20), D skip and gate. */
  scan(a: ScanArgs): void;
  /** Releases threads and native resources (optional). */
  dispose?(): void;
  /**
   * Runs `fn` with every op of this backend doing no work (optional): the model's JavaScript runs on it
   * as in real use without computing anything, so V8 optimises the decode path before the first real
   * token (model/warmup.ts). Only a backend whose speed depends on that (the native one) has it.
   */
  dryRun?(fn: () => void): void;
  /** A recorder of one-token steps (optional): model/decode-step.ts replays a whole decode step natively. */
  recorder?(): OpRecorder | null;
}
