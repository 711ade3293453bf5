/**
 * One decoded token as a recorded program (backend.ts OpRecorder): the ops `JambaModel.forward` makes
 * for one token of one sequence, recorded once per sequence and replayed with one backend call per
 * segment. A segment ends at each MoE router: the router's choice is made here in JavaScript (the same
 * `route` as forward's), written where the recorded experts op reads it, and the next segment runs.
 *
 * Why: a decode step is a few hundred small ops; called one by one, the JavaScript between them and
 * the calls into the addon cost ~160 µs a token on bench-small (measured in a dry run: every op called
 * with no work), ~5 % of a q4_k_m token. The replay runs the same kernels on the same arguments, so
 * its logits are bit-identical to forward's (test/model/decode-step.test.ts).
 *
 * A step is bound to one sequence's memory: its ops hold that memory's recurrent states and KV caches.
 * `matches` tells whether they are still the ones recorded (a KV cache that grew has new arrays); the
 * model records a new step when not.
 */
import type { Backend, OpRecorder, RecordedProgram } from '../backends/backend.js';
import type { SequenceMemory } from '../memory/sequence.js';
import { KVCache } from '../memory/kv-cache.js';
import { RecurrentState } from '../memory/recurrent.js';
import type { Weight } from '../tensor/weight.js';
import type { Dims, JambaConfig } from './config.js';
import type { Segment } from './batch.js';
import { denseFfn, route } from './ffn.js';
import { mambaMixer } from './mamba.js';
import { newOp, setOp } from './ops.js';
import type { AttentionWeights, JambaWeights, MoeWeights } from './weights.js';
import { Workspace } from './workspace.js';

/** A router whose choice ends a segment. */
interface RouterStop {
  logits: Float32Array;
  sel: Int32Array;
  wts: Float32Array;
}

/** Every weight a step would record (all must have native kernels). */
function stepWeights(w: JambaWeights): Weight[] {
  const out: Weight[] = [];
  for (const l of w.layers) {
    const m = l.mixer;
    if (m.kind === 'attention') out.push(m.q, m.k, m.v, m.o);
    else out.push(m.inProj, m.xProj, m.dtProj, m.outProj);
    const f = l.ffn;
    if (f.kind === 'moe') out.push(f.router, ...f.gate, ...f.up, ...f.down);
    else out.push(f.gate, f.up, f.down);
  }
  return out;
}

export class DecodeStep {
  /** The states recorded, in layer order (conv and ssm, or k and v): `matches` compares them. */
  private readonly states: Float32Array[] = [];
  private readonly caches: KVCache[] = [];
  /** Segment ends (op indices) and, for each but the last, the router that ends it. */
  private readonly ends: number[] = [];
  private readonly stops: RouterStop[] = [];
  private readonly program: RecordedProgram;
  private readonly p: Float64Array;
  /** The residual stream [H]: the caller embeds the token here before `run`, and reads it after. */
  readonly x: Float32Array;
  /** The step's own buffers (the recorded ops point into them, so they live as long as it does). */
  private readonly ws = new Workspace();

  /** (weights: kept, since the recorded ops point into them) */
  private constructor(be: Backend, rec: OpRecorder, config: JambaConfig, private readonly weights: JambaWeights,
    private readonly dm: Dims, memory: SequenceMemory) {
    const { H, I, nH, nKV, d, nE, k } = dm;
    const ws = this.ws, x = this.x = new Float32Array(H);
    const a = ws.get('norm', H), m = ws.get('mix', H);
    const eps = config.rmsNormEps, act = config.hiddenAct;
    this.p = new Float64Array(nE);
    const segs: Segment[] = [{ memory, offset: 0, T: 1, past: 0 }]; // (past: not read by the mixers below)
    const att = { q: ws.get('attn.q', nH * d), k: ws.get('attn.k', nKV * d), v: ws.get('attn.v', nKV * d), o: ws.get('attn.o', nH * d) };
    const qkv = [newOp(), newOp(), newOp()];

    // attention and MoE differ from forward's (attentionMixer, moeFfn): the KV row and the experts
    // are chosen at run time; the Mamba mixer and the dense MLP are forward's own code
    const attention = (w: AttentionWeights, cache: KVCache): void => {
      setOp(qkv[0]!, att.q, a, w.q, 1); setOp(qkv[1]!, att.k, a, w.k, 1); setOp(qkv[2]!, att.v, a, w.v, 1);
      be.matmulMany(qkv);
      rec.attendStep({ q: att.q, kNew: att.k, vNew: att.v, kCache: cache.k, vCache: cache.v, nH, nKV, d, scale: 1 / Math.sqrt(d), out: att.o });
      be.matmul(m, att.o, w.o, 1);
    };
    const moe = (w: MoeWeights): void => {
      const stop: RouterStop = { logits: new Float32Array(nE), sel: new Int32Array(k), wts: new Float32Array(k) };
      be.matmul(stop.logits, a, w.router, 1);
      this.ends.push(rec.mark());
      this.stops.push(stop);
      rec.experts({ x: a, sel: stop.sel, wts: stop.wts, k, act, gate: w.gate, up: w.up, down: w.down,
        g: ws.get('moe.g', k * I), u: ws.get('moe.u', k * I), y: ws.get('moe.y', k * H), out: m });
    };

    this.program = rec.record(() => {
      for (let i = 0; i < weights.layers.length; i++) {
        const lw = weights.layers[i]!;
        be.rmsNorm(a, x, lw.inputNorm, 1, H, eps);
        if (lw.mixer.kind === 'attention') {
          const cache = memory.kv(i);
          this.caches.push(cache);
          this.states.push(cache.k, cache.v);
          attention(lw.mixer, cache);
        } else {
          const st = memory.recurrent(i);
          this.states.push(st.conv, st.ssm);
          mambaMixer(be, ws, lw.mixer, dm, i, eps, act, a, m, segs, 1);
        }
        be.add(x, m, H);
        be.rmsNorm(a, x, lw.preFfNorm, 1, H, eps);
        if (lw.ffn.kind === 'moe') moe(lw.ffn);
        else denseFfn(be, ws, lw.ffn, dm, act, a, m, 1);
        be.add(x, m, H);
      }
      this.ends.push(rec.mark());
    });
  }

  /** A step for `memory`, or null where the backend records nothing or a weight has no native kernel. */
  static record(be: Backend, config: JambaConfig, weights: JambaWeights, dm: Dims, memory: SequenceMemory): DecodeStep | null {
    const rec = be.recorder?.();
    if (!rec || !rec.supports(stepWeights(weights))) return null;
    return new DecodeStep(be, rec, config, weights, dm, memory);
  }

  /** Whether `memory`'s states are the arrays this step was recorded with. */
  matches(memory: SequenceMemory): boolean {
    let j = 0;
    for (const l of memory.layers) {
      if (l instanceof KVCache) {
        if (l.k !== this.states[j] || l.v !== this.states[j + 1]) return false;
      } else if (l instanceof RecurrentState) {
        if (l.conv !== this.states[j] || l.ssm !== this.states[j + 1]) return false;
      }
      j += 2;
    }
    return j === this.states.length;
  }

  /**
   * Runs every layer for the token already embedded in `x`, at position P = the memory's length (its KV
   * caches must hold P + 1 rows: `reserve` first). Updates the memory's states, KV caches and length.
   */
  run(memory: SequenceMemory): void {
    const P = memory.length, { nE, k } = this.dm;
    let from = 0;
    for (let s = 0; s < this.ends.length; s++) {
      const to = this.ends[s]!;
      this.program.run(from, to, P);
      const stop = this.stops[s];
      if (stop) route(stop.logits, 1, nE, k, stop.sel, stop.wts, this.p);
      from = to;
    }
    for (let i = 0; i < this.caches.length; i++) this.caches[i]!.length = P + 1;
    memory.length = P + 1;
  }
}
