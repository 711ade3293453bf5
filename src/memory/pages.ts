/**
 * Large long-lived buffers (weights read from a checkpoint, KV caches) on 2 MB pages where the native
 * addon can give them (Linux; `allocHuge` in kernels/binding.c), else ordinary zero-filled arrays.
 *
 * Decode reads every weight once per token. On 4 KB pages that costs a TLB miss and page walk every
 * 64 cache lines, and Linux's usual transparent_hugepage setting ("madvise") gives huge pages only to
 * memory that asks for them. `node dist/bench/kernels.js --threads 2`, "matvec cold" (its matrices now
 * on these pages): Q4_K 14.2 → 20.3, Q8_0 16.2 → 19.8 GB/s.
 *
 * allocBytes serves weights: buffers of 64 KB and more come out of 64 MB chunks, 64-byte aligned, so a
 * model's hundreds of tensors do not each round up to 2 MB; one over 16 MB gets its own. A chunk lives
 * while any of its buffers does (the arena only holds a WeakRef) and the addon unmaps it when V8
 * collects it. allocFloats serves buffers that are replaced as they grow (KV caches): each of 2 MB or
 * more gets its own mapping, so a dropped one is freed at once rather than pinning a shared chunk.
 */
import { addonFunction } from '../backends/native/addon.js';

const MIN_BYTES = 64 << 10;
const CHUNK_BYTES = 64 << 20;
const OWN_BYTES = 16 << 20;
const OWN_FLOATS_BYTES = 2 << 20;
const ALIGN = 64;

const huge = addonFunction('allocHuge');

let chunk: WeakRef<ArrayBuffer> | null = null;
let used = 0;

/** A zero-filled Uint8Array of n bytes, 64-byte aligned and on huge pages when n ≥ 64 KB and the addon allows. */
export function allocBytes(n: number): Uint8Array {
  if (!huge || n < MIN_BYTES) return new Uint8Array(n);
  if (n > OWN_BYTES) {
    const own = huge(n);
    return own ? new Uint8Array(own, 0, n) : new Uint8Array(n);
  }
  let buf = chunk?.deref();
  if (!buf || used + n > buf.byteLength) {
    buf = huge(CHUNK_BYTES) ?? undefined;
    if (!buf) return new Uint8Array(n);
    chunk = new WeakRef(buf);
    used = 0;
  }
  const out = new Uint8Array(buf, used, n);
  used = Math.ceil((used + n) / ALIGN) * ALIGN;
  return out;
}

/** A zero-filled Float32Array of n values in a buffer of its own, on huge pages when it is 2 MB or more and the addon allows. */
export function allocFloats(n: number): Float32Array {
  if (huge && 4 * n >= OWN_FLOATS_BYTES) {
    const own = huge(4 * n);
    if (own) return new Float32Array(own, 0, n);
  }
  return new Float32Array(n);
}
