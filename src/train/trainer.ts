/**
 * The training run behind `jamba train` (nanoGPT's train.py loop, docs/codebases.md §2): tokenizer
 * (trained BPE, or a given one), data splits, HF initialisation (spec §9), AdamW steps with warmup +
 * cosine, periodic held-out evaluation, checkpoints that resume exactly, and an HF folder that every
 * other command loads (config.json, model.safetensors, tokenizer.json, tokenizer_config.json), plus
 * loss.svg and train-log.jsonl.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBackend } from '../backends/index.js';
import type { BackendKind } from '../backends/index.js';
import { JambaUserError } from '../errors.js';
import { writeSafetensors } from '../io/safetensors-write.js';
import { configToHf, parseConfig } from '../model/config.js';
import type { JambaConfig } from '../model/config.js';
import { loadTokenizer } from '../tokenizer/load.js';
import type { HistoryPoint, TrainState } from './checkpoint.js';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { WindowSampler, evalBatches, readDocuments, tokenizeSplits } from './data.js';
import type { Splits } from './data.js';
import { initParams } from './init.js';
import { TrainModel } from './model.js';
import { AdamW } from './optim.js';
import { ParamSet } from './params.js';
import { linePlotSvg } from './plot.js';
import { Progress } from './progress.js';
import type { Recipe } from './recipe.js';
import { lrAt } from './schedule.js';
import { configureTrainKernels } from './native.js';
import { useMatmulBackend } from './ops/linear.js';
import { sampleIds } from './sample.js';
import { trainStep } from './step.js';
import type { MicroBatch } from './step.js';
import { BpeEncoder } from './tokenizer/bpe-encode.js';
import { trainBpe } from './tokenizer/bpe-train.js';
import { BOS, EOS, PAD, SPECIALS, bpeVocabFromJson, writeTokenizerFiles } from './tokenizer/tokenizer-files.js';

export interface TrainRunOptions {
  recipe: Recipe;
  dataFiles: string[];
  outDir: string;
  /** Use this tokenizer (folder or tokenizer.json) instead of training one. */
  tokenizer?: string;
  /** Continue from <outDir>/checkpoint if present. */
  resume?: boolean;
  /** Stop after this many steps of this invocation (the schedule still spans recipe.training.steps). */
  maxSteps?: number;
  /** Progress output (default stderr); null for silence. */
  out?: NodeJS.WriteStream | null;
  /** Text whose continuation is sampled and shown at each evaluation (default "Once upon a time"; "" for none). */
  samplePrompt?: string;
  /** Where float32 matmuls run (default 'auto': the native kernels when the addon loads); 'ref' also turns off kernels/train. */
  backend?: BackendKind;
  threads?: number;
}

export interface TrainResult { config: JambaConfig; history: HistoryPoint[]; step: number; valLoss: number | undefined; params: number; tokensPerSecond: number }

interface Tok { encode: (s: string) => number[]; vocabSize: number; bos: number; eos: number; pad: number | null }

async function makeSampleFn(o: TrainRunOptions, model: TrainModel, tok: Tok): Promise<(() => string) | null> {
  const prompt = o.samplePrompt ?? 'Once upon a time';
  if (!prompt || !existsSync(join(o.outDir, 'tokenizer.json'))) return null;
  const t = await loadTokenizer(o.outDir);
  const prefix = [tok.bos, ...tok.encode(prompt)];
  return () => t.decode([...prefix, ...sampleIds(model, prefix, 40, tok.eos)], { skipSpecial: true });
}

function fnv(h: number, s: string | Int32Array): number {
  for (let i = 0; i < s.length; i++) { h ^= typeof s === 'string' ? s.charCodeAt(i) : s[i]!; h = Math.imul(h, 16777619) >>> 0; }
  return h;
}

async function prepareTokenizer(o: TrainRunOptions, docs: string[], nTrainDocs: number, log: (m: string) => void): Promise<Tok> {
  const out = o.outDir;
  const own = join(out, 'tokenizer.json');
  if (o.tokenizer) {
    const tok = await loadTokenizer(o.tokenizer);
    const dir = o.tokenizer.endsWith('.json') ? join(o.tokenizer, '..') : o.tokenizer;
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) if (existsSync(join(dir, f))) copyFileSync(join(dir, f), join(out, f));
    if (tok.bosId === undefined || tok.eosId === undefined) throw new JambaUserError(`${o.tokenizer}: the tokenizer needs BOS and EOS tokens to mark documents`);
    return { encode: (s) => tok.encode(s, { addSpecial: false, parseSpecial: false }), vocabSize: tok.vocabSize, bos: tok.bosId, eos: tok.eosId, pad: tok.padId ?? null };
  }
  let vocab;
  if (o.resume && existsSync(own)) {
    vocab = bpeVocabFromJson(JSON.parse(readFileSync(own, 'utf8')));
  } else {
    const t0 = Date.now();
    vocab = trainBpe(docs.slice(0, nTrainDocs), { vocabSize: o.recipe.tokenizer.vocabSize, specials: SPECIALS, minCharCount: o.recipe.tokenizer.minCharCount });
    writeTokenizerFiles(out, vocab);
    log(`tokenizer: byte-fallback BPE, ${vocab.tokens.length} tokens (${vocab.merges.length} merges) trained in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const enc = new BpeEncoder(vocab);
  return { encode: (s) => enc.encode(s), vocabSize: vocab.tokens.length, bos: BOS, eos: EOS, pad: PAD };
}

function modelConfig(raw: Record<string, unknown>, tok: Tok): JambaConfig {
  const m: Record<string, unknown> = { ...raw };
  if (m.vocab_size === undefined) m.vocab_size = tok.vocabSize;
  if (typeof m.vocab_size === 'number' && m.vocab_size < tok.vocabSize) throw new JambaUserError(`model vocab_size ${m.vocab_size} is smaller than the tokenizer's ${tok.vocabSize}`);
  m.bos_token_id ??= tok.bos; m.eos_token_id ??= tok.eos;
  if (m.pad_token_id === undefined) m.pad_token_id = tok.pad;
  return parseConfig(m, 'the model section of --config');
}

export function evaluate(model: TrainModel, batches: readonly MicroBatch[]): number {
  let sum = 0, n = 0;
  for (const b of batches) {
    const r = model.forward(b.ids, b.targets, b.B, b.T, { grad: false });
    sum += r.ce * r.count; n += r.count;
  }
  return n ? sum / n : NaN;
}

export function writeHfFolder(dir: string, ps: ParamSet): void {
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...configToHf(ps.config), torch_dtype: 'float32' }, null, 2) + '\n');
  writeSafetensors(join(dir, 'model.safetensors'), ps.toWeights());
}

export function writeLossPlot(dir: string, history: readonly HistoryPoint[]): void {
  const train: [number, number][] = [];
  let ema = NaN;
  for (const h of history) { ema = Number.isNaN(ema) ? h.loss : 0.9 * ema + 0.1 * h.loss; train.push([h.step, ema]); }
  const val = history.filter((h) => h.val !== undefined).map((h) => [h.step, h.val!] as [number, number]);
  const svg = linePlotSvg(
    [{ name: 'train loss (EMA 0.9)', points: train, color: '#1f77b4' }, { name: 'held-out loss', points: val, color: '#d62728', dots: true }],
    { title: 'jamba-ts training', xLabel: 'step', yLabel: 'cross-entropy (nats/token)', xInteger: true },
  );
  writeFileSync(join(dir, 'loss.svg'), svg);
}

export async function runTraining(o: TrainRunOptions): Promise<TrainResult> {
  const tr = o.recipe.training;
  const out = o.outDir;
  mkdirSync(out, { recursive: true });
  const stream = o.out === undefined ? process.stderr : o.out;
  const log = (m: string) => { if (stream) stream.write(m + '\n'); };

  const docs = readDocuments(o.dataFiles);
  const nVal = tr.valFraction > 0 ? Math.max(1, Math.round(docs.length * tr.valFraction)) : 0;
  const tok = await prepareTokenizer(o, docs, docs.length - nVal, log);
  const config = modelConfig(o.recipe.model, tok);
  const splits: Splits = tokenizeSplits(docs, tok.encode, tok.bos, tok.eos, tr.valFraction);
  log(`data: ${splits.trainDocs} training documents (${splits.train.length} tokens), ${splits.valDocs} held out (${splits.val.length} tokens)`);

  useMatmulBackend(createBackend(o.backend ?? 'auto', o.threads));
  // --backend ref: plain TypeScript throughout (the training kernels too)
  configureTrainKernels({ enabled: o.backend !== 'ref', ...(o.threads !== undefined ? { threads: o.threads } : {}) });
  const ps = new ParamSet(config, 'f32');
  initParams(ps, tr.seed);
  const model = new TrainModel(ps);
  const opt = new AdamW(ps, { beta1: tr.beta1, beta2: tr.beta2, eps: tr.eps, weightDecay: tr.weightDecay });
  const fingerprint = fnv(fnv(2166136261, JSON.stringify(o.recipe)), splits.train).toString(16);
  let st: TrainState = { step: 0, tokens: 0, seconds: 0, sampler: { epoch: 0, index: 0 }, history: [], fingerprint };
  if (o.resume && hasCheckpoint(out)) {
    st = loadCheckpoint(out, ps, opt);
    if (st.fingerprint !== fingerprint) throw new JambaUserError(`${out}/checkpoint was made with a different config or data; use another --out or drop --resume`);
    log(`resuming at step ${st.step}`);
  }
  log(`model: ${ps.count().toLocaleString('en-US')} parameters, ${config.numHiddenLayers} layers, vocab ${config.vocabSize}`);
  const sampler = new WindowSampler(splits.train, tr.seqLen, tr.seed, st.sampler);
  const held = evalBatches(splits.val, tr.seqLen, tr.batchSize, tr.evalBatches);
  const sample = stream ? await makeSampleFn(o, model, tok) : null;
  const schedule = { maxLr: tr.lr, minLr: tr.minLr, warmup: tr.warmupSteps, total: tr.steps };
  const progress = stream ? new Progress(tr.steps, stream) : null;
  const end = Math.min(tr.steps, o.maxSteps !== undefined ? st.step + o.maxSteps : tr.steps);
  let valLoss: number | undefined = [...st.history].reverse().find((h) => h.val !== undefined)?.val;
  let t0 = Date.now(), runTokens = 0;
  const runStart = Date.now();

  const save = () => {
    st.sampler = { ...sampler.state };
    saveCheckpoint(out, ps, opt, st);
    writeHfFolder(out, ps);
    writeLossPlot(out, st.history);
    writeFileSync(join(out, 'train-log.jsonl'), st.history.map((h) => JSON.stringify(h)).join('\n') + '\n');
  };

  while (st.step < end) {
    const batches: MicroBatch[] = [];
    for (let a = 0; a < tr.gradAccum; a++) batches.push(sampler.next(tr.batchSize));
    const lr = lrAt(st.step, schedule);
    const s = trainStep(model, opt, batches, lr, tr.gradClip);
    if (!Number.isFinite(s.loss)) throw new JambaUserError(`training diverged at step ${st.step + 1} (loss ${s.loss}); lower the learning rate`);
    st.step++;
    const now = Date.now();
    st.seconds += (now - t0) / 1000; t0 = now;
    st.tokens += s.tokens; runTokens += s.tokens;
    const point: HistoryPoint = { step: st.step, loss: s.loss, lr, tokens: st.tokens, seconds: Number(st.seconds.toFixed(3)) };
    if (held.length && (st.step % tr.evalEvery === 0 || st.step === tr.steps)) {
      valLoss = evaluate(model, held);
      point.val = valLoss;
      progress?.log(`step ${st.step}: train loss ${s.loss.toFixed(4)}, held-out loss ${valLoss.toFixed(4)}`);
      if (sample) progress?.log(`  sample: ${JSON.stringify(sample())}`);
      t0 = Date.now();
    }
    st.history.push(point);
    progress?.update(st.step, st.tokens, { loss: s.loss, val: valLoss, lr });
    if (st.step % tr.saveEvery === 0 || st.step === end) { save(); t0 = Date.now(); }
  }
  progress?.done();
  if (st.history.length === 0 || st.step !== end) save();
  const secs = (Date.now() - runStart) / 1000;
  return { config, history: st.history, step: st.step, valLoss, params: ps.count(), tokensPerSecond: secs > 0 ? runTokens / secs : 0 };
}
