/**
 * The native backend's OpRecorder (backend.ts): while `record` runs, the addon appends every op the
 * backend calls (checked as when run) to a native program instead of running it; the program then
 * replays a range of ops with one addon call (kernels/program.c). Ops run exactly as they would one by
 * one (the same kernels, the same arguments), so a replayed step computes the same bits.
 */
import type { AttendStepArgs, ExpertsArgs, OpRecorder, RecordedProgram } from '../backend.js';
import type { Weight } from '../../tensor/weight.js';
import type { NativeAddon } from './addon.js';

/** What the recorder needs from its backend. */
export interface RecorderHost {
  /** Runs fn with the backend recording: ops at full size (not a dry run's zero) and no JS fallback. */
  recording(fn: () => void): void;
  /** 1, or 0 during a dry run (a replay then only checks). */
  live(): number;
  qdot(): number;
  /** The kernels' code for a weight type, or undefined where there is no native kernel. */
  code(w: Weight): number | undefined;
  actCode(act: ExpertsArgs['act']): number;
}

type ProgramAddon = Required<Pick<NativeAddon, 'programCreate' | 'programRecord' | 'programLength' | 'programRun' | 'attendStep' | 'experts'>>;

/** The addon's program functions, or null when it is older than them. */
export function programAddon(a: NativeAddon): (NativeAddon & ProgramAddon) | null {
  const ok = typeof a.programCreate === 'function' && typeof a.programRecord === 'function' && typeof a.programLength === 'function' &&
    typeof a.programRun === 'function' && typeof a.attendStep === 'function' && typeof a.experts === 'function';
  return ok ? (a as NativeAddon & ProgramAddon) : null;
}

class NativeProgram implements RecordedProgram {
  constructor(private readonly addon: ProgramAddon, private readonly handle: object, private readonly host: RecorderHost) {}

  run(from: number, to: number, P: number): void {
    this.addon.programRun(this.handle, from, to, P, this.host.live());
  }
}

export class NativeRecorder implements OpRecorder {
  /** The program being recorded (set only inside record). */
  private current: object | null = null;
  /** experts' argument list, reused. */
  private readonly expertArgs: (Float32Array | Int32Array | Uint8Array | number)[] = [];

  constructor(private readonly addon: ProgramAddon, private readonly host: RecorderHost) {}

  supports(weights: readonly Weight[]): boolean {
    return weights.every((w) => this.host.code(w) !== undefined);
  }

  record(fn: () => void): RecordedProgram {
    const handle = this.addon.programCreate();
    this.addon.programRecord(handle);
    this.current = handle;
    try {
      this.host.recording(fn);
    } finally {
      this.current = null;
      this.addon.programRecord(null);
    }
    return new NativeProgram(this.addon, handle, this.host);
  }

  private inside(what: string): object {
    if (!this.current) throw new Error(`${what} is only recorded inside OpRecorder.record`);
    return this.current;
  }

  mark(): number {
    return this.addon.programLength(this.inside('mark'));
  }

  attendStep(a: AttendStepArgs): void {
    this.inside('attendStep');
    this.addon.attendStep(a.q, a.kNew, a.vNew, a.kCache, a.vCache, a.nH, a.nKV, a.d, a.scale, a.out, -1);
  }

  experts(a: ExpertsArgs): void {
    this.inside('experts');
    const nE = a.gate.length;
    if (a.up.length !== nE || a.down.length !== nE) throw new Error('experts: gate, up and down lists differ in length');
    const [I, H] = a.gate[0]!.shape as [number, number];
    const args = this.expertArgs;
    args.length = 0;
    args.push(a.x, a.sel, a.wts, a.k, this.host.actCode(a.act), a.g, a.u, a.y, a.out, H, I, this.host.qdot(), nE);
    for (const list of [a.gate, a.up, a.down]) {
      for (const w of list) {
        const code = this.host.code(w);
        if (code === undefined) throw new Error(`experts: weight ${w.name} (${w.dtype}) has no native kernel`);
        args.push(w.data, code);
      }
    }
    this.addon.experts(...args);
  }
}
