/**
 * safetensors writer: u64 header length, JSON header (padded with spaces to a multiple of 8),
 * tensors packed in name order with no gaps. Used for checkpoints that training writes and for test
 * models.
 */
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import type { Weight } from '../tensor/weight.js';

const ST_DTYPE: Record<string, string> = { f32: 'F32', f16: 'F16', bf16: 'BF16' };

/** Writes `tensors` to `path` atomically (through a temporary file). */
export function writeSafetensors(path: string, tensors: readonly Weight[], metadata: Record<string, string> = { format: 'pt' }): void {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = { __metadata__: metadata };
  let off = 0;
  for (const t of sorted) {
    const dtype = ST_DTYPE[t.dtype];
    if (!dtype) throw new Error(`safetensors cannot store ${t.dtype} (tensor ${t.name})`);
    header[t.name] = { dtype, shape: t.shape, data_offsets: [off, off + t.data.byteLength] };
    off += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let hb = enc.encode(json);
  const pad = (8 - (hb.length % 8)) % 8;
  if (pad) { json += ' '.repeat(pad); hb = enc.encode(json); }
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(hb.length), true);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, len);
    writeSync(fd, hb);
    for (const t of sorted) {
      let done = 0;
      while (done < t.data.byteLength) done += writeSync(fd, t.data, done, t.data.byteLength - done);
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
