/**
 * The elementwise steps around the Mamba mixer and SwiGLU (spec §6.1 steps 4 and 12, §7.1), with
 * SiLU written inline (the common case; gelu/relu go through the generic activation) so the loops do
 * not call a closure per element:
 *   actFwd:   out = act(x)                    actBwd:  dx = dout ⊙ act'(x)
 *   gluFwd:   out = a ⊙ act(z)                gluBwd:  da = dout ⊙ act(z),  dz = dout ⊙ a ⊙ act'(z)
 * z may be strided (the gate half of in_proj's [M, 2E] output): element (t, e) is z[zOff + t·zStride + e].
 */
import type { Act } from '../../backends/backend.js';
import type { Arr } from '../tensor.js';
import { trainAddon } from '../native.js';
import { activation, activationGrad } from './act.js';

let ones = new Float32Array(0);
let scratch = new Float32Array(0);
function onesOf(n: number): Float32Array {
  if (ones.length < n) ones = new Float32Array(n).fill(1);
  return ones.subarray(0, n);
}

export function actFwd(out: Arr, x: Arr, n: number, act: Act): void {
  const kn = trainAddon();
  if (kn && act === 'silu' && out instanceof Float32Array && x instanceof Float32Array) {
    kn.siluGluFwd(1, n, 0, n, out, onesOf(n), x); // 1 ⊙ silu(x)
    return;
  }
  if (act === 'silu') { for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v / (1 + Math.exp(-v)); } return; }
  const f = activation(act);
  for (let i = 0; i < n; i++) out[i] = f(x[i]!);
}

/** dx = dout ⊙ act'(x) (dx may alias dout). */
export function actBwd(dx: Arr, dout: Arr, x: Arr, n: number, act: Act): void {
  const kn = trainAddon();
  if (kn && act === 'silu' && dx instanceof Float32Array && dout instanceof Float32Array && x instanceof Float32Array) {
    if (scratch.length < n) scratch = new Float32Array(n);
    kn.siluGluBwd(1, n, 0, n, scratch.subarray(0, n), dx, dout, onesOf(n), x); // dx = dout ⊙ 1 ⊙ silu'(x)
    return;
  }
  if (act === 'silu') {
    for (let i = 0; i < n; i++) { const v = x[i]!, s = 1 / (1 + Math.exp(-v)); dx[i] = dout[i]! * s * (1 + v * (1 - s)); }
    return;
  }
  const fg = activationGrad(act);
  for (let i = 0; i < n; i++) dx[i] = dout[i]! * fg(x[i]!);
}

/** out[t, e] = a[t, e]·act(z[t, e]) for rows of width E. */
export function gluFwd(out: Arr, a: Arr, z: Arr, zOff: number, zStride: number, M: number, E: number, act: Act): void {
  const kn = trainAddon();
  if (kn && act === 'silu' && out instanceof Float32Array && a instanceof Float32Array && z instanceof Float32Array) {
    kn.siluGluFwd(M, E, zOff, zStride, out, a, z);
    return;
  }
  const f = act === 'silu' ? null : activation(act);
  for (let t = 0; t < M; t++) {
    const o = t * E, zo = zOff + t * zStride;
    if (f === null) for (let e = 0; e < E; e++) { const v = z[zo + e]!; out[o + e] = (a[o + e]! * v) / (1 + Math.exp(-v)); }
    else for (let e = 0; e < E; e++) out[o + e] = a[o + e]! * f(z[zo + e]!);
  }
}

/** da = dout ⊙ act(z) (overwrites), dz = dout ⊙ a ⊙ act'(z) (overwrites, strided like z). */
export function gluBwd(da: Arr, dz: Arr, dout: Arr, a: Arr, z: Arr, zOff: number, zStride: number, M: number, E: number, act: Act): void {
  const kn = trainAddon();
  if (kn && act === 'silu' && [da, dz, dout, a, z].every((x) => x instanceof Float32Array)) {
    const f = (x: Arr) => x as Float32Array;
    kn.siluGluBwd(M, E, zOff, zStride, f(da), f(dz), f(dout), f(a), f(z));
    return;
  }
  const f = act === 'silu' ? null : activation(act), fg = act === 'silu' ? null : activationGrad(act);
  for (let t = 0; t < M; t++) {
    const o = t * E, zo = zOff + t * zStride;
    for (let e = 0; e < E; e++) {
      const v = z[zo + e]!, g = dout[o + e]!;
      let av: number, ag: number;
      if (f === null) { const s = 1 / (1 + Math.exp(-v)); av = v * s; ag = s * (1 + v * (1 - s)); }
      else { av = f(v); ag = fg!(v); }
      da[o + e] = g * av;
      dz[zo + e] = g * a[o + e]! * ag;
    }
  }
}
