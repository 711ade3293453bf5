/**
 * Training checkpoints that resume exactly: the float32 parameters, AdamW's moments and step, the data
 * sampler's position, the step count and the loss history, in <out>/checkpoint/. Weights and moments
 * are safetensors (float32, so a float32 run restores bit for bit); the rest is state.json. Files are
 * written through temporary names, state.json last, so a crash mid-save leaves the previous checkpoint.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JambaUserError } from '../errors.js';
import { SafetensorsFile, SafetensorsSource } from '../io/safetensors.js';
import { writeSafetensors } from '../io/safetensors-write.js';
import { toF32 } from '../tensor/dequant.js';
import type { Weight } from '../tensor/weight.js';
import type { SamplerState } from './data.js';
import type { AdamW } from './optim.js';
import type { ParamSet } from './params.js';
import type { Arr } from './tensor.js';

export interface HistoryPoint { step: number; loss: number; val?: number; lr: number; tokens: number; seconds: number }

export interface TrainState {
  step: number;
  tokens: number;
  seconds: number;
  sampler: SamplerState;
  history: HistoryPoint[];
  /** Fingerprint of recipe + data, to refuse resuming a different run. */
  fingerprint: string;
}

const f32 = (name: string, shape: readonly number[], a: Arr): Weight => {
  const f = a instanceof Float32Array ? a : Float32Array.from(a);
  return { name, dtype: 'f32', shape: [...shape], data: new Uint8Array(f.buffer, f.byteOffset, f.byteLength) };
};

export function saveCheckpoint(dir: string, ps: ParamSet, opt: AdamW, st: TrainState): void {
  const ck = join(dir, 'checkpoint');
  mkdirSync(ck, { recursive: true });
  writeSafetensors(join(ck, 'params.safetensors'), ps.list.map((p) => f32(p.name, p.shape, p.data)));
  const moments: Weight[] = [];
  ps.list.forEach((p, j) => { moments.push(f32('m.' + p.name, p.shape, opt.m[j]!), f32('v.' + p.name, p.shape, opt.v[j]!)); });
  writeSafetensors(join(ck, 'optimizer.safetensors'), moments, { format: 'pt', adam_step: String(opt.step) });
  const tmp = join(ck, `state.json.tmp-${process.pid}`);
  writeFileSync(tmp, JSON.stringify({ ...st, adamStep: opt.step }, null, 1) + '\n');
  renameSync(tmp, join(ck, 'state.json'));
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, 'checkpoint', 'state.json'));
}

/** Restores params and optimizer in place; returns the saved state. */
export function loadCheckpoint(dir: string, ps: ParamSet, opt: AdamW): TrainState {
  const ck = join(dir, 'checkpoint');
  const st = JSON.parse(readFileSync(join(ck, 'state.json'), 'utf8')) as TrainState & { adamStep: number };
  const params = new SafetensorsSource(ck, [new SafetensorsFile(join(ck, 'params.safetensors'))]);
  const moments = new SafetensorsSource(ck, [new SafetensorsFile(join(ck, 'optimizer.safetensors'))]);
  const read = (src: SafetensorsSource, name: string, into: Arr) => {
    if (!src.info(name)) throw new JambaUserError(`${ck}: checkpoint has no tensor ${name} (a different model?)`);
    const v = toF32(src.load(name));
    if (v.length !== into.length) throw new JambaUserError(`${ck}: tensor ${name} has ${v.length} values, expected ${into.length}`);
    into.set(v);
  };
  ps.list.forEach((p, j) => { read(params, p.name, p.data); read(moments, 'm.' + p.name, opt.m[j]!); read(moments, 'v.' + p.name, opt.v[j]!); });
  params.close?.(); moments.close?.();
  opt.step = st.adamStep;
  return st;
}
