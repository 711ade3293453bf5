/**
 * The architecture ablation of docs/TRAINING.md (in the spirit of the Jamba paper's §6): hybrid vs
 * all-attention vs all-Mamba, trained by `jamba train` on the same data, tokenizer, schedule and seed
 * with about the same parameter count (recipes in bench/ablation/*.json). Reads the finished runs and
 * writes a Markdown table and an SVG of the held-out loss curves. Not part of `npm test`.
 *
 *   for v in hybrid attention mamba; do
 *     npx jamba train --config bench/ablation/$v.json --data ../shared/data/tinystories/tinystories_sample.txt \
 *       --tokenizer models/jamba-tinystories --out runs/$v
 *   done
 *   node dist/bench/ablation-report.js --runs runs [--svg docs/ablation.svg] [--md out.md]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openFolderCheckpoint } from '../src/io/checkpoint.js';
import { layerPlan, parseConfig } from '../src/model/config.js';
import { formatCount, modelInfo } from '../src/model/info.js';
import { linePlotSvg, type Series } from '../src/train/plot.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};

interface LogRow { step: number; loss: number; tokens: number; seconds: number; val?: number }

const VARIANTS = [
  { name: 'hybrid', label: 'hybrid (1 attention : 7 Mamba)', short: 'hybrid 1:7', color: '#d62728' },
  { name: 'attention', label: 'attention only', short: 'attention only', color: '#1f77b4' },
  { name: 'mamba', label: 'Mamba only', short: 'Mamba only', color: '#2ca02c' },
];

function main(): void {
  const runs = opt('runs');
  if (!runs) {
    console.error('usage: node dist/bench/ablation-report.js --runs <dir with hybrid/, attention/, mamba/> [--svg f] [--md f]');
    process.exit(2);
  }
  const lines = ['| model | layers (attention / Mamba) | parameters | active per token | held-out loss (final) | best held-out loss | train tok/s (median step) |',
    '| --- | --- | --- | --- | --- | --- | --- |'];
  const series: Series[] = [];
  for (const v of VARIANTS) {
    const dir = join(runs, v.name);
    const log = readFileSync(join(dir, 'train-log.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogRow);
    const evals = log.filter((r) => r.val !== undefined);
    if (!evals.length) throw new Error(`${dir}: no held-out evaluations in train-log.jsonl`);
    const ck = openFolderCheckpoint(dir);
    const config = parseConfig(ck.config, dir);
    const info = modelInfo(config, ck.tensors);
    ck.tensors.close?.();
    const plan = layerPlan(config);
    const nAttn = plan.filter((p) => p.mixer === 'attention').length;
    const last = evals[evals.length - 1]!;
    const best = Math.min(...evals.map((r) => r.val!));
    // median seconds per step: robust to evaluation steps and to pauses or contention on a shared machine
    const dts = log.slice(1).map((r, i) => r.seconds - log[i]!.seconds).sort((a, b) => a - b);
    const perStep = dts[dts.length >> 1]!, tokPerStep = log[1]!.tokens - log[0]!.tokens;
    lines.push(`| ${v.label} | ${plan.length} (${nAttn} / ${plan.length - nAttn}) | ${formatCount(info.params.total)} | ` +
      `${formatCount(info.params.activePerToken)} | ${last.val!.toFixed(3)} | ${best.toFixed(3)} | ${Math.round(tokPerStep / perStep)} |`);
    series.push({ name: v.short, color: v.color, dots: true, points: evals.map((r) => [r.step, r.val!]) });
  }
  const md = lines.join('\n');
  console.log(md);
  if (opt('md')) writeFileSync(opt('md')!, md + '\n');
  const svgPath = opt('svg');
  if (svgPath) {
    writeFileSync(svgPath, linePlotSvg(series, {
      title: 'Ablation on TinyStories: held-out loss at the same data and budget',
      xLabel: 'step (2,048 tokens each)', yLabel: 'held-out loss (nats/token)', xInteger: true,
    }));
    console.log(`wrote ${svgPath}`);
  }
}

main();
