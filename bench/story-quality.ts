/**
 * Story quality of a model (the shipped one by default): samples N continuations of story openings and
 * reports the share of words found in a dictionary (Debian's `wamerican`, /usr/share/dict/words),
 * plus the samples themselves. Not part of `npm test`: a measurement for docs/TRAINING.md.
 *
 *   node dist/bench/story-quality.js [--model <ref>] [--samples 20] [--max-tokens 200] [--json out.json]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadTextModel } from '../src/api/index.js';
import { defaultModelPath } from '../src/api/default-model.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};

const OPENINGS = ['Once upon a time', 'One day, a little girl named Lily', 'Tom had a big red ball.', 'The sun was shining', 'There was a small dog'];

/** Words of a text: runs of letters with inner apostrophes; possessive/contraction tails dropped. */
export function words(text: string): string[] {
  return (text.match(/[A-Za-z]+(?:'[A-Za-z]+)*/g) ?? []).map((w) => w.toLowerCase().replace(/'(s|t|ll|re|ve|d|m)$/, ''));
}

async function main(): Promise<void> {
  const dictPath = opt('dict', '/usr/share/dict/words');
  let dict: Set<string>;
  try {
    dict = new Set(readFileSync(dictPath, 'utf8').split('\n').map((w) => w.trim().toLowerCase()).filter(Boolean));
  } catch {
    console.error(`story-quality: no dictionary at ${dictPath} (apt-get install wamerican)`);
    process.exit(2);
  }
  const ref = opt('model', defaultModelPath());
  const n = Number(opt('samples', '20'));
  const maxTokens = Number(opt('max-tokens', '200'));
  const tm = await loadTextModel(ref, {});
  const samples: { prompt: string; text: string; words: number; known: number }[] = [];
  let total = 0, known = 0;
  for (let i = 0; i < n; i++) {
    const prompt = OPENINGS[i % OPENINGS.length]!;
    const g = tm.generate(prompt, { maxTokens, seed: 1000 + i, temperature: 0.8, topK: 40, topP: 0.95 });
    const r = await g.result;
    const ws = words(prompt + r.text);
    const k = ws.filter((w) => dict.has(w)).length;
    total += ws.length; known += k;
    samples.push({ prompt, text: r.text, words: ws.length, known: k });
  }
  const share = known / Math.max(1, total);
  console.log(`${ref}: ${(100 * share).toFixed(1)}% of ${total} words are dictionary words (${n} samples of up to ${maxTokens} tokens)`);
  for (const s of samples.slice(0, 3)) console.log(`\n--- ${s.prompt}${s.text}`);
  const out = opt('json', '');
  if (out) writeFileSync(out, JSON.stringify({ model: ref, share, words: total, known, samples }, null, 2));
}

await main();
