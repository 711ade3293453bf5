/**
 * Stop strings over streamed text: text is released as soon as it can no longer be the start of a stop
 * string, and held back while it might be (so "Obs" is held when a stop string is "Observation:", and
 * released if the next chunk is "cure"). A stop string split across several tokens is found all the
 * same; the stop string itself and everything after it is never released.
 */

export interface StopStep {
  /** Text that is now safe to show. */
  text: string;
  /** The stop string that matched, once one has. */
  stop?: string;
}

export class StopStrings {
  private held = '';
  private done = false;
  private readonly stops: string[];

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  get stopped(): boolean {
    return this.done;
  }

  /** Feeds a chunk of generated text. */
  push(chunk: string): StopStep {
    if (this.done) return { text: '' };
    const buf = this.held + chunk;
    let at = -1;
    let which: string | undefined;
    for (const s of this.stops) {
      const i = buf.indexOf(s);
      if (i >= 0 && (at < 0 || i < at)) [at, which] = [i, s];
    }
    if (which !== undefined) {
      this.done = true;
      this.held = '';
      return { text: buf.slice(0, at), stop: which };
    }
    const keep = this.heldSuffix(buf);
    this.held = buf.slice(buf.length - keep);
    return { text: buf.slice(0, buf.length - keep) };
  }

  /** At the end of generation: whatever was held back (it turned out not to be a stop string). */
  flush(): string {
    const t = this.done ? '' : this.held;
    this.held = '';
    return t;
  }

  /** Length of the longest suffix of `buf` that is a proper prefix of some stop string. */
  private heldSuffix(buf: string): number {
    let best = 0;
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, buf.length); n > best; n--) {
        if (buf.endsWith(s.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}
