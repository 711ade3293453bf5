/**
 * The part Q4_K and Q5_K share (llama.cpp ggml-quants.c quantize_row_q4_K_ref / quantize_row_q5_K_ref):
 * a 256-value super-block is 8 sub-blocks of 32, each with a 6-bit scale and a 6-bit min, packed into 12
 * bytes (get_scale_min_k4's layout) and multiplied by the fp16 super-scales d and dmin:
 * value = d·sc_j·q − dmin·m_j.
 *
 * Byte layout of the 12 scale bytes, j = sub-block:
 *   j < 4:  sc_j = s[j] & 63,  m_j = s[j+4] & 63
 *   j ≥ 4:  sc_j = (s[j+4] & 15) | (s[j−4] >> 6) << 4,  m_j = (s[j+4] >> 4) | (s[j] >> 6) << 4
 */
import { f, nearestInt, rdF16, wrF16 } from './common.js';
import { makeQkx2Quants } from './kquant-search.js';

export const QK_K = 256;

/** Unpacks the 8 (scale, min) pairs of the 12 bytes at `off`. */
export function unpackScalesK4(src: Uint8Array, off: number, sc: Uint8Array, mn: Uint8Array): void {
  for (let j = 0; j < 8; j++) {
    if (j < 4) {
      sc[j] = src[off + j]! & 63;
      mn[j] = src[off + j + 4]! & 63;
    } else {
      sc[j] = (src[off + j + 4]! & 0xf) | ((src[off + j - 4]! >> 6) << 4);
      mn[j] = (src[off + j + 4]! >> 4) | ((src[off + j]! >> 6) << 4);
    }
  }
}

function packScalesK4(ls: Uint8Array, lm: Uint8Array, dst: Uint8Array, off: number): void {
  for (let j = 0; j < 12; j++) dst[off + j] = 0;
  for (let j = 0; j < 8; j++) {
    if (j < 4) {
      dst[off + j] = ls[j]!;
      dst[off + j + 4] = lm[j]!;
    } else {
      dst[off + j + 4] = (ls[j]! & 0xf) | ((lm[j]! & 0xf) << 4);
      dst[off + j - 4] |= (ls[j]! >> 4) << 6;
      dst[off + j] |= (lm[j]! >> 4) << 6;
    }
  }
}

const weights = new Float32Array(32);
const Laux = new Uint8Array(32);
const scales = new Float32Array(8);
const mins = new Float32Array(8);
const ls = new Uint8Array(8);
const lm = new Uint8Array(8);
const sc = new Uint8Array(8);
const mn = new Uint8Array(8);

/**
 * Chooses the levels L[0..256) (0..nmax) of the super-block at x[xo..] and writes d (at `o`), dmin (at
 * `o+2`) and the 12 scale bytes (at `o+4`). `rmin`/`nstep` are the search grid of the format.
 */
export function quantizeScalesK4(x: Float32Array, xo: number, nmax: number, rmin: number, nstep: number,
  dst: Uint8Array, o: number, L: Uint8Array): void {
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 8; j++) {
    const b = xo + 32 * j;
    let sumX2 = 0;
    for (let l = 0; l < 32; l++) sumX2 = f(sumX2 + f(x[b + l]! * x[b + l]!));
    const avX = f(Math.sqrt(f(sumX2 / 32)));
    for (let l = 0; l < 32; l++) weights[l] = f(avX + Math.abs(x[b + l]!));
    const [s, m] = makeQkx2Quants(32, nmax, x, b, weights, L, 32 * j, Laux, rmin, f(0.1), nstep, false);
    scales[j] = s;
    mins[j] = m;
    if (s > maxScale) maxScale = s;
    if (m > maxMin) maxMin = m;
  }
  const invScale = maxScale > 0 ? f(63 / maxScale) : 0;
  const invMin = maxMin > 0 ? f(63 / maxMin) : 0;
  for (let j = 0; j < 8; j++) {
    ls[j] = Math.min(63, nearestInt(f(invScale * scales[j]!)) & 0xff);
    lm[j] = Math.min(63, nearestInt(f(invMin * mins[j]!)) & 0xff);
  }
  packScalesK4(ls, lm, dst, o + 4);
  const d = wrF16(dst, o, f(maxScale / 63));
  const dmin = wrF16(dst, o + 2, f(maxMin / 63));
  unpackScalesK4(dst, o + 4, sc, mn);
  for (let j = 0; j < 8; j++) {
    const dj = f(d * sc[j]!);
    if (!dj) continue;
    const dm = f(dmin * mn[j]!);
    for (let i = 0; i < 32; i++) {
      const l = nearestInt(f(f(x[xo + 32 * j + i]! + dm) / dj));
      L[32 * j + i] = Math.max(0, Math.min(nmax, l));
    }
  }
}

/** Per-sub-block effective scales (d·sc_j) and mins (dmin·m_j) of the super-block at `o`, as llama.cpp's dequantizer computes them. */
export function blockScalesK4(src: Uint8Array, o: number, dl: Float32Array, ml: Float32Array): void {
  const d = rdF16(src, o);
  const dmin = rdF16(src, o + 2);
  unpackScalesK4(src, o + 4, sc, mn);
  for (let j = 0; j < 8; j++) {
    dl[j] = d * sc[j]!;
    ml[j] = dmin * mn[j]!;
  }
}
