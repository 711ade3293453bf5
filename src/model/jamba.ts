/**
 * The Jamba model (spec §3): embed → per layer [RMSNorm → attention | Mamba → +residual → RMSNorm →
 * dense MLP | MoE → +residual] → final RMSNorm → lm_head. No positional encoding anywhere.
 *
 * `forward` takes a batch of sequences, each with a chunk of new tokens of any length (prefill, chunked
 * prefill, single-token decode, or a mix), and updates each sequence's memory. Rows are laid end to end
 * without padding; each row's result depends only on its own sequence.
 */
import type { Backend } from '../backends/backend.js';
import { JambaUserError } from '../errors.js';
import type { MemoryLayout } from '../memory/sequence.js';
import { SequenceMemory } from '../memory/sequence.js';
import { attentionMixer } from './attention.js';
import type { Segment } from './batch.js';
import { Dims, JambaConfig, dims } from './config.js';
import { DecodeStep } from './decode-step.js';
import { denseFfn, moeFfn } from './ffn.js';
import { mambaMixer } from './mamba.js';
import type { JambaWeights } from './weights.js';
import { Workspace } from './workspace.js';

export interface SequenceInput {
  memory: SequenceMemory;
  tokens: ArrayLike<number>;
}

export interface ForwardOptions {
  /** 'last': logits of each sequence's last new token ([B, V]); 'all': of every new token ([ΣT, V]); 'none'. */
  logits?: 'last' | 'all' | 'none';
  /**
   * Observer of the residual stream, HF output_hidden_states style: index 0 = embeddings, index i
   * (1 ≤ i ≤ L) = after layer i-1, index L+1 = after the final norm. `x` is [ΣT, H] (valid during the call).
   */
  onHidden?: (index: number, x: Float32Array) => void;
  /** Where to write the logits (at least rows × V floats); a new array when absent. */
  out?: Float32Array;
}

const NO_OPTIONS: ForwardOptions = Object.freeze({});
const NO_LOGITS = new Float32Array(0);

function checkToken(id: number, V: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= V) throw new JambaUserError(`token id ${id} is outside the vocabulary (0..${V - 1})`);
}

/**
 * A number held as one immutable heap value (the field starts as a non-number, so V8 keeps it tagged):
 * handing it to native calls then allocates nothing, where a double from a plain field or local is
 * boxed anew at each call.
 */
function tagged(v: number): { readonly v: number } {
  const o: { v: unknown } = { v: null };
  o.v = v;
  return o as { readonly v: number };
}

export class JambaModel {
  readonly dims: Dims;
  private readonly ws = new Workspace();
  /** This call's segments, and Segment objects reused across calls. */
  private readonly segs: Segment[] = [];
  private readonly segPool: Segment[] = [];
  /** rms_norm_eps as one immutable heap number, passed to every norm without boxing it anew. */
  private readonly eps: { readonly v: number };
  /**
   * Whether one token of one sequence runs as a recorded step (decode-step.ts) where the backend can
   * record one; the same logits bit for bit. JAMBA_DECODE_STEP=0 turns it off (for comparisons).
   */
  recordedSteps = process.env.JAMBA_DECODE_STEP !== '0';
  /** Each sequence's recorded step (null: this backend or these weights cannot record one). */
  private readonly steps = new WeakMap<SequenceMemory, DecodeStep | null>();
  private readonly stepIds = new Int32Array(1);

  constructor(readonly config: JambaConfig, readonly weights: JambaWeights, readonly backend: Backend) {
    this.dims = dims(config);
    this.eps = tagged(config.rmsNormEps);
  }

  /** The per-layer memory each sequence needs (plain data for memory/). */
  memoryLayout(): MemoryLayout {
    const { nKV, d, E, N, K } = this.dims;
    return {
      layers: this.weights.layers.map((l) =>
        l.plan.mixer === 'attention' ? { kind: 'attention' as const, nKV, d } : { kind: 'mamba' as const, E, N, K }),
    };
  }

  newSequence(): SequenceMemory {
    return new SequenceMemory(this.memoryLayout());
  }

  /**
   * Runs the batch and returns the logits asked for. With `out` given, a steady-state decode step (the
   * same batch shape as the step before) allocates nothing on the JS heap: buffers, views and argument
   * objects all come from the workspace.
   */
  forward(batch: readonly SequenceInput[], opts: ForwardOptions = NO_OPTIONS): Float32Array {
    if (batch.length === 1 && batch[0]!.tokens.length === 1 && !opts.onHidden && this.recordedSteps) {
      const id = batch[0]!.tokens[0]!;
      checkToken(id, this.dims.V);
      const step = this.stepFor(batch[0]!.memory);
      if (step) return this.decodeStep(step, id, batch[0]!.memory, opts);
    }
    const { H, V, L } = this.dims;
    const be = this.backend, ws = this.ws, cfg = this.config;
    const segs = this.segs;
    if (segs.length !== batch.length) segs.length = batch.length; // (emptying it would drop its storage)
    let T = 0;
    for (let i = 0; i < batch.length; i++) {
      const s = batch[i]!;
      if (s.tokens.length === 0) throw new JambaUserError('a sequence in the batch has no new tokens');
      const seg = this.segPool[i] ?? (this.segPool[i] = { memory: s.memory, offset: 0, T: 0, past: 0 });
      seg.memory = s.memory; seg.offset = T; seg.T = s.tokens.length; seg.past = s.memory.length;
      segs[i] = seg;
      T += s.tokens.length;
    }
    const ids = ws.getInt('ids', T);
    let o = 0;
    for (const s of batch) {
      for (let i = 0; i < s.tokens.length; i++) {
        const id = s.tokens[i]!;
        checkToken(id, V);
        ids[o++] = id;
      }
    }

    const x = ws.get('x', T * H);     // [T, H] residual stream
    const a = ws.get('norm', T * H);  // [T, H] normalised input of a sub-block
    const m = ws.get('mix', T * H);   // [T, H] sub-block output
    be.embed(x, ids, this.weights.embed);
    opts.onHidden?.(0, x);

    const eps = this.eps.v, act = cfg.hiddenAct;
    for (let i = 0; i < L; i++) {
      const lw = this.weights.layers[i]!;
      be.rmsNorm(a, x, lw.inputNorm, T, H, eps);
      if (lw.mixer.kind === 'attention') attentionMixer(be, ws, lw.mixer, this.dims, i, a, m, segs, T);
      else mambaMixer(be, ws, lw.mixer, this.dims, i, eps, act, a, m, segs, T);
      be.add(x, m, T * H);
      be.rmsNorm(a, x, lw.preFfNorm, T, H, eps);
      if (lw.ffn.kind === 'moe') moeFfn(be, ws, lw.ffn, this.dims, act, a, m, T);
      else denseFfn(be, ws, lw.ffn, this.dims, act, a, m, T);
      be.add(x, m, T * H);
      opts.onHidden?.(i + 1, x);
    }
    for (const s of segs) s.memory.length += s.T;

    const mode = opts.logits ?? 'last';
    if (opts.onHidden) {
      be.rmsNorm(a, x, this.weights.finalNorm, T, H, eps);
      opts.onHidden(L + 1, a);
    }
    if (mode === 'none') return NO_LOGITS;
    let rows: Float32Array, R: number;
    if (mode === 'all') {
      rows = x; R = T;
    } else {
      R = segs.length;
      rows = ws.get('lastrows', R * H);
      for (let j = 0; j < R; j++) {
        const s = segs[j]!;
        rows.set(ws.sub(x, (s.offset + s.T - 1) * H, (s.offset + s.T) * H), j * H);
      }
    }
    const normed = ws.get('final', R * H);
    be.rmsNorm(normed, rows, this.weights.finalNorm, R, H, eps);
    const logits = opts.out ? ws.sub(opts.out, 0, R * V) : new Float32Array(R * V);
    be.matmul(logits, normed, this.weights.lmHead, R);
    return logits;
  }

  /** memory's recorded step (recorded now if it has none, or its KV caches grew since), or null. */
  private stepFor(memory: SequenceMemory): DecodeStep | null {
    memory.reserve(memory.length + 1); // before recording: a cache that grows gets new arrays
    let step = this.steps.get(memory);
    if (step === null) return null;
    if (step === undefined || !step.matches(memory)) {
      step = DecodeStep.record(this.backend, this.config, this.weights, this.dims, memory);
      this.steps.set(memory, step);
    }
    return step;
  }

  /** forward for one (checked) token of one sequence, through its recorded step. */
  private decodeStep(step: DecodeStep, id: number, memory: SequenceMemory, opts: ForwardOptions): Float32Array {
    const { H, V } = this.dims, be = this.backend;
    this.stepIds[0] = id;
    be.embed(step.x, this.stepIds, this.weights.embed);
    step.run(memory);
    if ((opts.logits ?? 'last') === 'none') return NO_LOGITS;
    const normed = this.ws.get('final', H);
    be.rmsNorm(normed, step.x, this.weights.finalNorm, 1, H, this.eps.v);
    const logits = opts.out ? this.ws.sub(opts.out, 0, V) : new Float32Array(V);
    be.matmul(logits, normed, this.weights.lmHead, 1);
    return logits;
  }
}
