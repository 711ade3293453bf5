/**
 * The model's weights, structured by layer, built from a TensorSource under canonical HF names
 * (spec §2). Every tensor is checked: a missing tensor, an unexpected one or a wrong shape is an error
 * naming the tensor and the expected shape. Small vectors (norms, biases, A, D, conv) are decoded to
 * float32 once; matrices stay in their stored dtype.
 */
import { JambaUserError } from '../errors.js';
import { toF32 } from '../tensor/dequant.js';
import type { Weight } from '../tensor/weight.js';
import type { TensorSource } from '../io/source.js';
import { JambaConfig, LayerPlan, dims, layerPlan } from './config.js';

export interface AttentionWeights {
  kind: 'attention';
  q: Weight; k: Weight; v: Weight; o: Weight; // [nH·d, H], [nKV·d, H], [nKV·d, H], [H, nH·d]
}

export interface MambaWeights {
  kind: 'mamba';
  inProj: Weight;                // [2E, H]
  inBias: Float32Array | null;   // [2E]
  convW: Float32Array;           // [E, K]
  convB: Float32Array | null;    // [E]
  xProj: Weight;                 // [R + 2N, E]
  dtNorm: Float32Array;          // [R]
  bNorm: Float32Array;           // [N]
  cNorm: Float32Array;           // [N]
  dtProj: Weight;                // [E, R]
  dtBias: Float32Array;          // [E]
  A: Float32Array;               // [E, N] = -exp(A_log)
  D: Float32Array;               // [E]
  outProj: Weight;               // [H, E]
  outBias: Float32Array | null;  // [H]
}

export interface DenseWeights {
  kind: 'dense';
  gate: Weight; up: Weight; down: Weight; // [I, H], [I, H], [H, I]
}

export interface MoeWeights {
  kind: 'moe';
  router: Weight;                            // [nE, H]
  gate: Weight[]; up: Weight[]; down: Weight[]; // per expert
}

export interface LayerWeights {
  plan: LayerPlan;
  inputNorm: Float32Array;  // [H]
  preFfNorm: Float32Array;  // [H]
  mixer: AttentionWeights | MambaWeights;
  ffn: DenseWeights | MoeWeights;
}

export interface JambaWeights {
  embed: Weight;            // [V, H]
  finalNorm: Float32Array;  // [H]
  lmHead: Weight;           // [V, H] (the embedding when tied)
  layers: LayerWeights[];
}

/** Reads tensors by name, checking shapes, and remembers which names were used. */
class Reader {
  readonly used = new Set<string>();
  constructor(private readonly src: TensorSource) {}

  has(name: string): boolean { return this.src.info(name) !== undefined; }

  weight(name: string, shape: number[], alt?: number[]): Weight {
    const info = this.src.info(name);
    if (!info) throw new JambaUserError(`${this.src.origin}: missing tensor ${name} (expected shape [${shape.join(', ')}])`);
    const ok = (s: number[]) => s.length === info.shape.length && s.every((x, i) => x === info.shape[i]);
    if (!ok(shape) && !(alt && ok(alt))) {
      throw new JambaUserError(`${this.src.origin}: tensor ${name} has shape [${info.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    this.used.add(name);
    const w = this.src.load(name);
    // Normalise an accepted alternative layout to the canonical shape (same element order).
    return ok(shape) ? w : { ...w, shape };
  }

  vec(name: string, n: number | number[]): Float32Array {
    const shape = typeof n === 'number' ? [n] : n;
    return toF32(this.weight(name, shape));
  }

  optVec(name: string, n: number): Float32Array | null {
    return this.has(name) ? this.vec(name, n) : null;
  }
}

export function loadWeights(config: JambaConfig, src: TensorSource): JambaWeights {
  const { H, I, V, nH, nKV, d, E, N, K, R, nE } = dims(config);
  const r = new Reader(src);
  const plan = layerPlan(config);
  const embed = r.weight('model.embed_tokens.weight', [V, H]);
  const finalNorm = r.vec('model.final_layernorm.weight', H);
  let lmHead: Weight;
  if (config.tieWordEmbeddings) {
    lmHead = embed;
    if (r.has('lm_head.weight')) r.used.add('lm_head.weight'); // saved anyway by some tools: same values by definition
  } else {
    lmHead = r.weight('lm_head.weight', [V, H]);
  }

  const layers: LayerWeights[] = plan.map((p) => {
    const pre = `model.layers.${p.index}.`;
    let mixer: AttentionWeights | MambaWeights;
    if (p.mixer === 'attention') {
      const a = pre + 'self_attn.';
      mixer = {
        kind: 'attention',
        q: r.weight(a + 'q_proj.weight', [nH * d, H]),
        k: r.weight(a + 'k_proj.weight', [nKV * d, H]),
        v: r.weight(a + 'v_proj.weight', [nKV * d, H]),
        o: r.weight(a + 'o_proj.weight', [H, nH * d]),
      };
    } else {
      const m = pre + 'mamba.';
      let A: Float32Array;
      if (r.has(m + 'A')) {
        A = r.vec(m + 'A', [E, N]);
      } else {
        const Alog = r.vec(m + 'A_log', [E, N]);
        A = Alog.map((x) => -Math.exp(x));
      }
      mixer = {
        kind: 'mamba',
        inProj: r.weight(m + 'in_proj.weight', [2 * E, H]),
        inBias: config.mambaProjBias ? r.vec(m + 'in_proj.bias', 2 * E) : null,
        convW: toF32(r.weight(m + 'conv1d.weight', [E, 1, K], [E, K])),
        convB: config.mambaConvBias ? r.vec(m + 'conv1d.bias', E) : null,
        xProj: r.weight(m + 'x_proj.weight', [R + 2 * N, E]),
        dtNorm: r.vec(m + 'dt_layernorm.weight', R),
        bNorm: r.vec(m + 'b_layernorm.weight', N),
        cNorm: r.vec(m + 'c_layernorm.weight', N),
        dtProj: r.weight(m + 'dt_proj.weight', [E, R]),
        dtBias: r.vec(m + 'dt_proj.bias', E),
        A,
        D: r.vec(m + 'D', E),
        outProj: r.weight(m + 'out_proj.weight', [H, E]),
        outBias: config.mambaProjBias ? r.vec(m + 'out_proj.bias', H) : null,
      };
    }
    let ffn: DenseWeights | MoeWeights;
    const f = pre + 'feed_forward.';
    if (p.ffn === 'moe') {
      const ex = (e: number, w: string, shape: number[]) => r.weight(`${f}experts.${e}.${w}_proj.weight`, shape);
      const ids = [...Array(nE).keys()];
      ffn = {
        kind: 'moe',
        router: r.weight(f + 'router.weight', [nE, H]),
        gate: ids.map((e) => ex(e, 'gate', [I, H])),
        up: ids.map((e) => ex(e, 'up', [I, H])),
        down: ids.map((e) => ex(e, 'down', [H, I])),
      };
    } else {
      ffn = {
        kind: 'dense',
        gate: r.weight(f + 'gate_proj.weight', [I, H]),
        up: r.weight(f + 'up_proj.weight', [I, H]),
        down: r.weight(f + 'down_proj.weight', [H, I]),
      };
    }
    return {
      plan: p,
      inputNorm: r.vec(pre + 'input_layernorm.weight', H),
      preFfNorm: r.vec(pre + 'pre_ff_layernorm.weight', H),
      mixer,
      ffn,
    };
  });

  const unexpected = src.names().filter((n) => !r.used.has(n));
  if (unexpected.length) {
    const more = unexpected.length > 3 ? ` and ${unexpected.length - 3} more` : '';
    throw new JambaUserError(`${src.origin}: unexpected tensor ${unexpected.slice(0, 3).join(', ')}${more} (not part of this config's layer plan)`);
  }
  return { embed, finalNorm, lmHead, layers };
}
