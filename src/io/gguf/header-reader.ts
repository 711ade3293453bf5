/**
 * Sequential little-endian reads from a file descriptor through a refilled window, for GGUF headers
 * (which can hold hundreds of thousands of tokenizer strings). Positions are plain numbers, exact up
 * to 2^53, so files over 4 GB work. Running past the end of the file is a JambaUserError naming the
 * file and what was being read.
 */
import { readSync } from 'node:fs';
import { JambaUserError } from '../../errors.js';

const WINDOW = 1 << 20;
const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }); // keep a leading U+FEFF (a vocabulary token may be that character)

export class HeaderReader {
  private buf = new Uint8Array(WINDOW);
  private view = new DataView(this.buf.buffer);
  private start = 0; // file position of buf[0]
  private len = 0;   // valid bytes in buf
  pos = 0;           // file position of the next read

  constructor(private readonly fd: number, readonly path: string, readonly size: number) {}

  get remaining(): number { return this.size - this.pos; }

  truncated(what: string): JambaUserError {
    return new JambaUserError(`${this.path}: file ends inside the GGUF header while reading ${what} (truncated or not a GGUF file)`);
  }

  /** Makes bytes [pos, pos+n) available in the window; returns their offset in buf. */
  private need(n: number, what: string): number {
    if (this.pos + n > this.size) throw this.truncated(what);
    if (this.pos < this.start || this.pos + n > this.start + this.len) {
      if (n > this.buf.length) {
        this.buf = new Uint8Array(n);
        this.view = new DataView(this.buf.buffer);
      }
      this.start = this.pos;
      const want = Math.min(this.buf.length, this.size - this.pos);
      let got = 0;
      while (got < want) {
        const r = readSync(this.fd, this.buf, got, want - got, this.start + got);
        if (r === 0) break;
        got += r;
      }
      this.len = got;
      if (got < n) throw this.truncated(what);
    }
    const at = this.pos - this.start;
    this.pos += n;
    return at;
  }

  u8(what: string): number { return this.buf[this.need(1, what)]!; }
  i8(what: string): number { return this.view.getInt8(this.need(1, what)); }
  u16(what: string): number { return this.view.getUint16(this.need(2, what), true); }
  i16(what: string): number { return this.view.getInt16(this.need(2, what), true); }
  u32(what: string): number { return this.view.getUint32(this.need(4, what), true); }
  i32(what: string): number { return this.view.getInt32(this.need(4, what), true); }
  f32(what: string): number { return this.view.getFloat32(this.need(4, what), true); }
  f64(what: string): number { return this.view.getFloat64(this.need(8, what), true); }
  u64(what: string): bigint { return this.view.getBigUint64(this.need(8, what), true); }
  i64(what: string): bigint { return this.view.getBigInt64(this.need(8, what), true); }

  /** A u64 that must fit a JS number and not exceed `max` (a count or size bounded by the file). */
  count(what: string, max: number): number {
    const v = this.u64(what);
    if (v > BigInt(max)) throw new JambaUserError(`${this.path}: ${what} is ${v}, more than a file of ${this.size} bytes can hold (truncated or corrupt GGUF header?)`);
    return Number(v);
  }

  /** Raw bytes copied into `out` at `outOff`. */
  bytesInto(n: number, out: Uint8Array, outOff: number, what: string): void {
    const at = this.need(n, what);
    out.set(this.buf.subarray(at, at + n), outOff);
  }

  /** A GGUF string: u64 byte length, then UTF-8 bytes (no terminator). */
  string(what: string): string {
    const n = this.count(`length of ${what}`, this.remaining);
    if (n === 0) return '';
    const at = this.need(n, what);
    return utf8.decode(this.buf.subarray(at, at + n));
  }
}
