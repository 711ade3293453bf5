/**
 * The download progress bar (cli-progress) on stderr: one bar over all bytes of a pull, naming the
 * file in flight, with rate and ETA. Drawn only when the stream is a terminal and
 * HF_HUB_DISABLE_PROGRESS_BARS is not set; otherwise every call is a no-op, so piped output stays clean.
 */
import cliProgress from 'cli-progress'; // CommonJS: only its default export is reliable from ESM

export interface Progress {
  /** The file now being fetched. */
  file(name: string): void;
  /** Bytes gained (negative when a partial file had to restart). */
  add(delta: number): void;
  /** Removes nothing: leaves the finished bar on its line and ends it. */
  done(): void;
}

export function formatSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (Math.abs(n) >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 2 : 1)} ${units[i]}`;
}

const NONE: Progress = { file() {}, add() {}, done() {} };

export interface ProgressOptions {
  stream?: NodeJS.WriteStream | (NodeJS.WritableStream & { isTTY?: boolean; columns?: number });
  disabled?: boolean;
  label?: string;
}

/** A bar over `total` bytes of which `already` are on disk (partial files being resumed). */
export function createProgress(total: number, already: number, opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  if (opts.disabled || stream.isTTY !== true || total <= 0) return NONE;
  const bar = new cliProgress.SingleBar({
    stream,
    format: `${opts.label ? opts.label + ' ' : ''}{file} |{bar}| {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted}`,
    formatValue: (v, o, type) => (type === 'value' || type === 'total' ? formatSize(Number(v)) : cliProgress.Format.ValueFormat(v, o, type)),
    barsize: 25,
    // Leave the terminal's modes alone (cursor, wrapping: the line is trimmed to its width instead), so
    // there is nothing to restore, and no SIGINT handler: Ctrl-C must still stop a pull at once (the
    // partial file is kept and resumed next time).
    hideCursor: null,
    linewrap: true,
    gracefulExit: false,
    etaBuffer: 50,
  });
  const t0 = Date.now();
  let value = already;
  let gained = 0;
  let file = '';
  bar.start(total, value, { file, rate: formatSize(0) });
  return {
    file(name) { file = name; bar.update(value, { file }); },
    add(delta) {
      value += delta;
      gained += delta;
      bar.update(value, { file, rate: formatSize(gained / Math.max(0.001, (Date.now() - t0) / 1000)) });
    },
    done() { bar.update(value, { file: 'done' }); bar.stop(); },
  };
}
