/**
 * A small, strict command-line parser: every flag a command accepts is declared, an unknown flag or a
 * missing value is a user error (exit 2) that names it.
 */
import { JambaUserError } from '../errors.js';

export interface FlagSpec {
  /** 'string' takes a value, 'boolean' does not; `multiple` collects repeated values in order. */
  type: 'string' | 'boolean';
  multiple?: boolean;
  description: string;
  /** Shown in --help, e.g. '<n>'. */
  value?: string;
  default?: string;
}

export interface ParsedArgs {
  flags: Map<string, string[]>;
  positionals: string[];
}

export function parseArgs(argv: readonly string[], specs: Readonly<Record<string, FlagSpec>>, command: string): ParsedArgs {
  const flags = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { positionals.push(...argv.slice(i + 1)); break; }
    if (a.startsWith('--') && a.length > 2) {
      let name = a.slice(2);
      let value: string | undefined;
      const eq = name.indexOf('=');
      if (eq >= 0) { value = name.slice(eq + 1); name = name.slice(0, eq); }
      if (name === 'help' && value === undefined) { flags.set('help', ['true']); continue; }
      const spec = specs[name];
      if (!spec) throw new JambaUserError(`unknown flag --${name} for 'jamba ${command}' (see 'jamba ${command} --help')`);
      if (spec.type === 'boolean') {
        if (value !== undefined) throw new JambaUserError(`flag --${name} takes no value`);
        value = 'true';
      } else if (value === undefined) {
        value = argv[++i];
        if (value === undefined) throw new JambaUserError(`flag --${name} needs a value ${spec.value ?? ''}`.trimEnd());
      }
      const list = flags.get(name) ?? [];
      if (list.length && !spec.multiple) throw new JambaUserError(`flag --${name} given more than once`);
      list.push(value);
      flags.set(name, list);
    } else if (a.startsWith('-') && a.length > 1 && a !== '-') {
      if (a === '-h') { flags.set('help', ['true']); continue; }
      throw new JambaUserError(`unknown flag ${a} for 'jamba ${command}' (see 'jamba ${command} --help')`);
    } else {
      positionals.push(a);
    }
  }
  return { flags, positionals };
}

/** Typed accessors over parsed flags; each error names the flag. */
export class Flags {
  constructor(private readonly parsed: ParsedArgs, private readonly specs: Readonly<Record<string, FlagSpec>>) {}

  get positionals(): string[] { return this.parsed.positionals; }

  has(name: string): boolean { return this.parsed.flags.has(name); }

  string(name: string): string | undefined {
    return this.parsed.flags.get(name)?.[0] ?? this.specs[name]?.default;
  }

  requireString(name: string): string {
    const v = this.string(name);
    if (v === undefined) throw new JambaUserError(`missing required flag --${name}`);
    return v;
  }

  strings(name: string): string[] { return this.parsed.flags.get(name) ?? []; }

  bool(name: string): boolean { return this.parsed.flags.has(name); }

  int(name: string, opts: { min?: number; max?: number } = {}): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v)) throw new JambaUserError(`--${name} must be an integer, got '${v}'`);
    const n = Number(v);
    if (opts.min !== undefined && n < opts.min) throw new JambaUserError(`--${name} must be at least ${opts.min}, got ${n}`);
    if (opts.max !== undefined && n > opts.max) throw new JambaUserError(`--${name} must be at most ${opts.max}, got ${n}`);
    return n;
  }

  number(name: string, opts: { min?: number; max?: number } = {}): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new JambaUserError(`--${name} must be a number, got '${v}'`);
    if (opts.min !== undefined && n < opts.min) throw new JambaUserError(`--${name} must be at least ${opts.min}, got ${n}`);
    if (opts.max !== undefined && n > opts.max) throw new JambaUserError(`--${name} must be at most ${opts.max}, got ${n}`);
    return n;
  }

  /** A comma-separated list of non-negative integers, e.g. token ids. */
  static idList(flag: string, v: string): number[] {
    const parts = v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (parts.length === 0) throw new JambaUserError(`--${flag} is empty`);
    return parts.map((p) => {
      if (!/^\d+$/.test(p)) throw new JambaUserError(`--${flag}: '${p}' is not a token id (a non-negative integer)`);
      return Number(p);
    });
  }
}

export function helpText(command: string, usage: string, summary: string, specs: Readonly<Record<string, FlagSpec>>): string {
  const lines = [`Usage: jamba ${command} ${usage}`.trimEnd(), '', summary, '', 'Options:'];
  for (const [name, s] of Object.entries(specs)) {
    const left = `  --${name}${s.value ? ' ' + s.value : ''}`;
    const def = s.default !== undefined ? ` (default: ${s.default})` : '';
    lines.push(`${left.padEnd(30)} ${s.description}${def}`);
  }
  lines.push(`  ${'--help'.padEnd(28)} show this help`);
  return lines.join('\n');
}
