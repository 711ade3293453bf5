/**
 * Attention mixer (spec §5): grouped-query attention with no positional encoding. Projections run on the
 * whole batch at once; each sequence appends its keys/values to its own KV cache and attends over it.
 */
import type { AttentionArgs, Backend, MatmulOp } from '../backends/backend.js';
import { newAttentionArgs, newOp, setOp } from './ops.js';
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
  const qkv = ws.ops<MatmulOp>('attn.qkv', 3, newOp);
  setOp(qkv[0]!, q, a, w.q, T); setOp(qkv[1]!, k, a, w.k, T); setOp(qkv[2]!, v, a, w.v, T);
  be.matmulMany(qkv);
  const qRow = nH * d, kvRow = nKV * d;
  const args = ws.ops<AttentionArgs>('attn.args', 1, newAttentionArgs)[0]!;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!, cache = s.memory.kv(layer);
    cache.append(ws.sub(k, s.offset * kvRow, (s.offset + s.T) * kvRow), ws.sub(v, s.offset * kvRow, (s.offset + s.T) * kvRow), s.T);
    args.q = ws.sub(q, s.offset * qRow, (s.offset + s.T) * qRow);
    args.k = cache.k; args.v = cache.v;
    args.T = s.T; args.past = cache.length - s.T; args.nH = nH; args.nKV = nKV; args.d = d;
    const scale = 1 / Math.sqrt(d);
    if (args.scale !== scale) args.scale = scale; // stored once: the field holds one tagged heap number
    args.out = ws.sub(o, s.offset * qRow, (s.offset + s.T) * qRow);
    be.attention(args);
  }
  be.matmul(out, o, w.o, T);
}
