/**
 * Trainable parameters: a flat list of named tensors under HF names and shapes (spec §2, exactly the
 * list `tensorShapes` gives for a config), each with a gradient buffer of the same dtype. A trained
 * model is saved from this list as model.safetensors (float32), so every other command loads it.
 */
import { JambaUserError } from '../errors.js';
import { tensorShapes } from '../model/random.js';
import type { JambaConfig } from '../model/config.js';
import type { TensorSource } from '../io/source.js';
import { toF32 } from '../tensor/dequant.js';
import type { Weight } from '../tensor/weight.js';
import type { Arr, TrainDType } from './tensor.js';
import { alloc } from './tensor.js';

export interface Param {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Arr;
  readonly grad: Arr;
  /** AdamW decoupled weight decay applies (matrices only: not norms, biases, A_log, D). */
  readonly decay: boolean;
}

export function decays(name: string, shape: readonly number[]): boolean {
  if (shape.length < 2) return false;
  return !name.endsWith('.A_log');
}

export class ParamSet {
  readonly list: Param[];
  private readonly map = new Map<string, Param>();

  constructor(readonly config: JambaConfig, readonly dtype: TrainDType) {
    this.list = tensorShapes(config).map(([name, shape]) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const p: Param = { name, shape, data: alloc(dtype, n), grad: alloc(dtype, n), decay: decays(name, shape) };
      this.map.set(name, p);
      return p;
    });
  }

  get(name: string): Param {
    const p = this.map.get(name);
    if (!p) throw new Error(`no parameter ${name}`);
    return p;
  }

  has(name: string): boolean { return this.map.has(name); }

  count(): number { return this.list.reduce((s, p) => s + p.data.length, 0); }

  zeroGrad(): void { for (const p of this.list) p.grad.fill(0); }

  /** Copies values from a checkpoint's tensors (any stored dtype; `mamba.A` is turned back into A_log). */
  loadFrom(src: TensorSource): void {
    for (const p of this.list) {
      let name = p.name;
      let fromA = false;
      if (!src.info(name) && name.endsWith('.A_log') && src.info(name.slice(0, -5) + 'A')) { name = name.slice(0, -5) + 'A'; fromA = true; }
      if (!src.info(name) && name === 'lm_head.weight') throw new JambaUserError(`${src.origin}: missing tensor lm_head.weight`);
      const info = src.info(name);
      if (!info) throw new JambaUserError(`${src.origin}: missing tensor ${p.name}`);
      const v = toF32(src.load(name));
      if (v.length !== p.data.length) throw new JambaUserError(`${src.origin}: tensor ${name} has ${v.length} values, expected ${p.data.length} [${p.shape.join(', ')}]`);
      if (fromA) for (let i = 0; i < v.length; i++) p.data[i] = Math.log(-v[i]!);
      else p.data.set(v);
    }
  }

  /** The parameters as float32 Weights under their HF names (for writeSafetensors). */
  toWeights(): Weight[] {
    return this.list.map((p) => {
      const f = Float32Array.from(p.data);
      return { name: p.name, dtype: 'f32' as const, shape: [...p.shape], data: new Uint8Array(f.buffer) };
    });
  }
}
