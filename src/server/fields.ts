/**
 * Typed, strict reading of a JSON request body: each accessor returns the field or undefined (absent or
 * null, as OpenAI clients send for "not set") and throws a 400 naming the field (`messages[2].content`)
 * when it has the wrong type or range. Unknown fields are ignored, as most OpenAI-compatible servers do.
 */
import { invalid } from './errors.js';

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

export class Fields {
  private constructor(private readonly o: Record<string, unknown>, readonly path: string) {}

  /** The request body: it must be a JSON object. */
  static of(v: unknown, path = ''): Fields {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw invalid(`${path || 'the request body'} must be a JSON object, got ${typeName(v)}`, path || null);
    }
    return new Fields(v as Record<string, unknown>, path);
  }

  name(k: string): string {
    return this.path ? `${this.path}.${k}` : k;
  }

  raw(k: string): unknown {
    const v = this.o[k];
    return v === null ? undefined : v;
  }

  has(k: string): boolean {
    return this.raw(k) !== undefined;
  }

  private fail(k: string, want: string): never {
    throw invalid(`'${this.name(k)}' must be ${want}, got ${typeName(this.o[k])}`, this.name(k));
  }

  string(k: string): string | undefined {
    const v = this.raw(k);
    if (v === undefined) return undefined;
    return typeof v === 'string' ? v : this.fail(k, 'a string');
  }

  requireString(k: string): string {
    const v = this.string(k);
    if (v === undefined) throw invalid(`'${this.name(k)}' is required`, this.name(k), 'missing_required_parameter');
    return v;
  }

  bool(k: string): boolean | undefined {
    const v = this.raw(k);
    if (v === undefined) return undefined;
    return typeof v === 'boolean' ? v : this.fail(k, 'a boolean');
  }

  /** A finite number in [min, max] (an integer when `int`). */
  number(k: string, o: { min?: number; max?: number; int?: boolean; exclusiveMin?: boolean } = {}): number | undefined {
    const v = this.raw(k);
    if (v === undefined) return undefined;
    const want = o.int ? 'an integer' : 'a number';
    if (typeof v !== 'number' || !Number.isFinite(v) || (o.int && !Number.isInteger(v))) this.fail(k, want);
    const n = v as number;
    const lo = o.min !== undefined && (o.exclusiveMin ? n <= o.min : n < o.min);
    if (lo || (o.max !== undefined && n > o.max)) {
      const range = `${o.exclusiveMin ? '>' : '≥'} ${o.min ?? '-∞'}${o.max !== undefined ? ` and ≤ ${o.max}` : ''}`;
      throw invalid(`'${this.name(k)}' must be ${want} ${range}, got ${n}`, this.name(k));
    }
    return n;
  }

  oneOf<T extends string>(k: string, values: readonly T[]): T | undefined {
    const v = this.string(k);
    if (v === undefined) return undefined;
    if (!(values as readonly string[]).includes(v)) {
      throw invalid(`'${this.name(k)}' must be one of ${values.map((x) => `'${x}'`).join(', ')}, got '${v}'`, this.name(k));
    }
    return v as T;
  }

  object(k: string): Fields | undefined {
    const v = this.raw(k);
    return v === undefined ? undefined : Fields.of(v, this.name(k));
  }

  array(k: string): unknown[] | undefined {
    const v = this.raw(k);
    if (v === undefined) return undefined;
    return Array.isArray(v) ? v : this.fail(k, 'an array');
  }

  /** The raw object (for passing through, e.g. a tool's JSON-schema parameters). */
  value(): Record<string, unknown> {
    return this.o;
  }
}
