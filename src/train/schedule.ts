/**
 * Learning-rate schedule: linear warmup from 0 to maxLr over `warmup` steps, then cosine decay to
 * minLr at step `total` (and minLr after), as nanoGPT's get_lr (docs/codebases.md §2).
 */
export interface LrSchedule { maxLr: number; minLr: number; warmup: number; total: number }

/** Learning rate of update number `step` (0-based). */
export function lrAt(step: number, s: LrSchedule): number {
  if (step < s.warmup) return (s.maxLr * (step + 1)) / s.warmup;
  if (step >= s.total) return s.minLr;
  const span = Math.max(1, s.total - s.warmup);
  const ratio = (step - s.warmup) / span;
  return s.minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (s.maxLr - s.minLr);
}
