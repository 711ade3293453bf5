/**
 * A small deterministic pseudo-random generator for sampling: xoshiro128** (Blackman & Vigna) seeded
 * through splitmix32, so the same seed gives the same stream on every platform and Node version
 * (Math.random cannot be seeded). The state is four uint32 words and can be saved and restored, so a
 * saved chat session continues with the same random stream.
 */

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

export class Rng {
  private readonly s = new Uint32Array(4);

  /** `seed` is any integer (taken modulo 2^32); omit it for a seed from the clock and Math.random. */
  constructor(seed?: number) {
    const init = seed ?? (Date.now() ^ Math.floor(Math.random() * 0x100000000));
    if (!Number.isFinite(init)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    const next = splitmix32(Math.trunc(init) % 0x100000000);
    for (let i = 0; i < 4; i++) this.s[i] = next();
    if (this.s.every((w) => w === 0)) this.s[0] = 1; // the all-zero state is a fixed point
  }

  /** A uniform uint32. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** The generator state, to save and later `restore`. */
  state(): number[] {
    return Array.from(this.s);
  }

  static restore(state: readonly number[]): Rng {
    if (state.length !== 4 || state.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)) {
      throw new RangeError('an Rng state is four uint32 words');
    }
    const r = new Rng(0);
    r.s.set(state);
    return r;
  }
}
