/**
 * The training progress line: a bar, step, loss, held-out loss, tokens/s (over a recent window) and
 * time left. On a terminal it redraws one line in place; otherwise it prints a line every `every` calls.
 */

export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
}

export class Progress {
  private readonly times: [number, number][] = []; // (time ms, tokens so far)
  private calls = 0;

  constructor(private readonly total: number, private readonly out: NodeJS.WriteStream = process.stderr, private readonly every = 10) {}

  /** Returns the line it shows. */
  update(step: number, tokens: number, info: { loss: number; val?: number; lr: number }, now = Date.now()): string {
    this.times.push([now, tokens]);
    if (this.times.length > 30) this.times.shift();
    const [t0, k0] = this.times[0]!;
    const tps = now > t0 ? ((tokens - k0) * 1000) / (now - t0) : NaN;
    const stepsPerS = now > t0 ? ((this.times.length - 1) * 1000) / (now - t0) : NaN;
    const left = (this.total - step) / stepsPerS;
    const frac = Math.min(1, step / this.total);
    const width = 20, fill = Math.round(frac * width);
    const bar = '█'.repeat(fill) + '░'.repeat(width - fill);
    const val = info.val !== undefined ? ` | val ${info.val.toFixed(3)}` : '';
    const line = `step ${step}/${this.total} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% | loss ${info.loss.toFixed(3)}${val} | lr ${info.lr.toExponential(1)} | ${Number.isFinite(tps) ? tps.toFixed(0) : '--'} tok/s | ${formatDuration(left)} left`;
    this.calls++;
    if (this.out.isTTY) this.out.write(`\r\x1b[2K${line}`);
    else if (this.calls % this.every === 0 || step === this.total) this.out.write(line + '\n');
    return line;
  }

  /** Prints a message on its own line (keeping the bar below it on a terminal). */
  log(msg: string): void {
    this.out.write(this.out.isTTY ? `\r\x1b[2K${msg}\n` : msg + '\n');
  }

  done(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}
