/**
 * A hash chain over token ids: key(p) names the prefix tokens[0..p) in O(1) once the chain is built, so
 * the prompt cache can ask "is there a checkpoint for this prefix?" at every length of a prompt.
 * Two independent 32-bit mixes make accidental collisions unlikely; the cache still compares the tokens
 * before trusting a match, so a collision can cost a miss but never a wrong state.
 */

export class PrefixHasher {
  private a = 0x811c9dc5 | 0;
  private b = 0x9e3779b9 | 0;
  private readonly keys: string[] = ['0:0:0'];

  constructor(tokens: ArrayLike<number> = []) {
    for (let i = 0; i < tokens.length; i++) this.push(tokens[i]!);
  }

  /** Number of tokens hashed so far. */
  get length(): number {
    return this.keys.length - 1;
  }

  push(id: number): void {
    this.a = Math.imul(this.a ^ (id & 0xffff), 16777619);
    this.a = Math.imul(this.a ^ (id >>> 16), 16777619);
    let h = (this.b + Math.imul(id + 1, 0x85ebca6b)) | 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    this.b = (h ^ (h >>> 16)) | 0;
    this.keys.push(`${this.keys.length}:${(this.a >>> 0).toString(36)}:${(this.b >>> 0).toString(36)}`);
  }

  /** The key of the first p tokens (0 ≤ p ≤ length). */
  key(p: number): string {
    const k = this.keys[p];
    if (k === undefined) throw new RangeError(`prefix length ${p} is past the ${this.length} hashed tokens`);
    return k;
  }
}

/** The key of a whole token list. */
export function prefixKey(tokens: ArrayLike<number>): string {
  const h = new PrefixHasher(tokens);
  return h.key(h.length);
}
