/**
 * The reference backend: plain TypeScript, one obvious loop per op, float64 accumulators. It is the
 * oracle every other backend is tested against, not a fast path.
 */
import type { Act, AttentionArgs, Backend, ConvArgs, MatmulOp, ScanArgs } from '../backend.js';
import type { Weight } from '../../tensor/weight.js';
import { decodeRow } from '../../tensor/dequant.js';
import { activation, softplus } from './activations.js';
import { isQuantized } from '../../tensor/quant/index.js';
import { actBlock, defaultQuantDot, quantizeActivations, type QuantDot } from '../../tensor/quant/act.js';

export interface RefOptions {
  /** Quantised weights: 'int8' quantises activations as llama.cpp does (default), 'exact' does not. */
  quantDot?: QuantDot;
}

export class RefBackend implements Backend {
  readonly name = 'ref';
  readonly quantDot: QuantDot;
  private row = new Float32Array(0);

  constructor(opts: RefOptions = {}) {
    this.quantDot = opts.quantDot ?? defaultQuantDot();
  }

  matmul(y: Float32Array, x: Float32Array, w: Weight, T: number, bias?: Float32Array | null): void {
    const [out, inp] = w.shape as [number, number];
    if (this.row.length < inp) this.row = new Float32Array(inp);
    const row = this.row;
    if (this.quantDot === 'int8' && isQuantized(w.dtype)) return this.matmulInt8(y, x, w, T, bias, out, inp);
    for (let o = 0; o < out; o++) {
      decodeRow(w, o, row);
      const b = bias ? bias[o]! : 0;
      for (let t = 0; t < T; t++) {
        let s = 0;
        const xo = t * inp;
        for (let i = 0; i < inp; i++) s += x[xo + i]! * row[i]!;
        y[t * out + o] = s + b;
      }
    }
  }

  matmulMany(ops: readonly MatmulOp[]): void {
    for (const op of ops) this.matmul(op.y, op.x, op.w, op.T, op.bias);
  }

  /** Σ_blocks d_x·Σ_i w_i·q_i: the stored weights against the int8 activations (tensor/quant/act.ts). */
  private matmulInt8(y: Float32Array, x: Float32Array, w: Weight, T: number, bias: Float32Array | null | undefined,
    out: number, inp: number): void {
    const block = actBlock(w.dtype), nb = inp / block;
    const q = new Int8Array(T * inp), d = new Float32Array(T * nb);
    for (let t = 0; t < T; t++) quantizeActivations(x, t * inp, inp, block, q, t * inp, d, t * nb);
    const row = this.row;
    for (let o = 0; o < out; o++) {
      decodeRow(w, o, row);
      const b = bias ? bias[o]! : 0;
      for (let t = 0; t < T; t++) {
        let s = 0;
        for (let k = 0; k < nb; k++) {
          let sb = 0;
          const qo = t * inp + k * block;
          for (let i = 0; i < block; i++) sb += row[k * block + i]! * q[qo + i]!;
          s += d[t * nb + k]! * sb;
        }
        y[t * out + o] = s + b;
      }
    }
  }

  rmsNorm(out: Float32Array, x: Float32Array, w: Float32Array, T: number, n: number, eps: number, stride = n): void {
    for (let t = 0; t < T; t++) {
      const o = t * stride;
      let ss = 0;
      for (let i = 0; i < n; i++) ss += x[o + i]! * x[o + i]!;
      // HF normalises in float32 and rounds before the weight multiply: reproduce that rounding.
      const r = 1 / Math.sqrt(Math.fround(ss / n) + eps);
      for (let i = 0; i < n; i++) out[o + i] = w[i]! * Math.fround(x[o + i]! * r);
    }
  }

  embed(out: Float32Array, ids: Int32Array, table: Weight): void {
    const [V, H] = table.shape as [number, number];
    for (let t = 0; t < ids.length; t++) {
      const id = ids[t]!;
      if (id < 0 || id >= V) throw new RangeError(`token id ${id} is outside the vocabulary (0..${V - 1})`);
      decodeRow(table, id, out, t * H);
    }
  }

  gatedAct(out: Float32Array, gate: Float32Array, up: Float32Array, n: number, act: Act): void {
    const f = activation(act);
    for (let i = 0; i < n; i++) out[i] = f(gate[i]!) * up[i]!;
  }

  add(x: Float32Array, y: Float32Array, n: number): void {
    for (let i = 0; i < n; i++) x[i] = x[i]! + y[i]!;
  }

  attention(a: AttentionArgs): void {
    const { q, k, v, T, past, nH, nKV, d, scale, out } = a;
    const G = nH / nKV;
    const S = past + T;
    const p = new Float64Array(S);
    for (let t = 0; t < T; t++) {
      const visible = past + t + 1;
      for (let h = 0; h < nH; h++) {
        const kh = Math.floor(h / G);
        const qo = (t * nH + h) * d;
        let max = -Infinity;
        for (let j = 0; j < visible; j++) {
          const ko = (j * nKV + kh) * d;
          let s = 0;
          for (let i = 0; i < d; i++) s += q[qo + i]! * k[ko + i]!;
          s *= scale;
          p[j] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let j = 0; j < visible; j++) { p[j] = Math.exp(p[j]! - max); sum += p[j]!; }
        for (let i = 0; i < d; i++) {
          let acc = 0;
          for (let j = 0; j < visible; j++) acc += p[j]! * v[(j * nKV + kh) * d + i]!;
          out[qo + i] = acc / sum;
        }
      }
    }
  }

  conv1d(a: ConvArgs): void {
    const { u, uStride, state, w, bias, T, E, K, out } = a;
    const f = activation(a.act);
    const P = K - 1;
    for (let e = 0; e < E; e++) {
      // window = [state (K-1 oldest→newest) ‖ u[0..T-1]] for channel e
      const win = new Float64Array(P + T);
      for (let j = 0; j < P; j++) win[j] = state[e * P + j]!;
      for (let t = 0; t < T; t++) win[P + t] = u[t * uStride + e]!;
      for (let t = 0; t < T; t++) {
        let s = bias ? bias[e]! : 0;
        for (let j = 0; j < K; j++) s += w[e * K + j]! * win[t + j]!;
        out[t * E + e] = f(s);
      }
      for (let j = 0; j < P; j++) state[e * P + j] = win[T + j]!;
    }
  }

  scan(a: ScanArgs): void {
    const { u, dt, A, B, C, bOffset, cOffset, bcStride, D, z, zOffset, zStride, h, T, E, N, out } = a;
    const f = activation(a.act);
    for (let t = 0; t < T; t++) {
      const bo = t * bcStride + bOffset;
      const co = t * bcStride + cOffset;
      for (let e = 0; e < E; e++) {
        const delta = softplus(dt[t * E + e]!);
        const x = u[t * E + e]!;
        let y = 0;
        for (let n = 0; n < N; n++) {
          const s = Math.exp(delta * A[e * N + n]!) * h[e * N + n]! + delta * B[bo + n]! * x;
          h[e * N + n] = s;
          y += s * C[co + n]!;
        }
        y += D[e]! * x;
        out[t * E + e] = y * f(z[t * zStride + zOffset + e]!);
      }
    }
  }
}
