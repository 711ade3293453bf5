/**
 * Attention mixer (spec §5): grouped-query attention with no positional encoding. Projections run on the
 * whole batch at once; each sequence appends its keys/values to its own KV cache and attends over it.
 */
import type { Backend } from '../backends/backend.js';
import type { Dims } from './config.js';
import type { Segment } from './batch.js';
import type { AttentionWeights } from './weights.js';
import type { Workspace } from './workspace.js';

export function attentionMixer(
  be: Backend, ws: Workspace, w: AttentionWeights, dm: Dims, layer: number,
  a: Float32Array, // [T, H] normalised input
  out: Float32Array, // [T, H]
  segs: readonly Segment[], T: number,
): void {
  const { nH, nKV, d } = dm;
  const q = ws.get('attn.q', T * nH * d);   // [T, nH·d]
  const k = ws.get('attn.k', T * nKV * d);  // [T, nKV·d]
  const v = ws.get('attn.v', T * nKV * d);  // [T, nKV·d]
  const o = ws.get('attn.o', T * nH * d);   // [T, nH·d]
  be.matmulMany([{ y: q, x: a, w: w.q, T }, { y: k, x: a, w: w.k, T }, { y: v, x: a, w: w.v, T }]);
  const qRow = nH * d, kvRow = nKV * d;
  for (const s of segs) {
    const cache = s.memory.kv(layer);
    cache.append(k.subarray(s.offset * kvRow), v.subarray(s.offset * kvRow), s.T);
    be.attention({
      q: q.subarray(s.offset * qRow, (s.offset + s.T) * qRow),
      k: cache.k, v: cache.v,
      T: s.T, past: cache.length - s.T, nH, nKV, d,
      scale: 1 / Math.sqrt(d),
      out: o.subarray(s.offset * qRow, (s.offset + s.T) * qRow),
    });
  }
  be.matmul(out, o, w.o, T);
}
