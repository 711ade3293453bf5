#!/usr/bin/env node
// Packs a trained model folder for shipping in the repository: matrices stored as F16 (half the bytes;
// every value rounds to nearest), vectors and the Mamba A_log/D/conv kept F32; config, tokenizer and
// chat template copied. Usage: node scripts/pack-model.js <trained-folder> <dest-folder>
// (needs `npm run build` first).
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SafetensorsFile } from '../dist/src/io/safetensors.js';
import { writeSafetensors } from '../dist/src/io/safetensors-write.js';
import { toF32 } from '../dist/src/tensor/dequant.js';
import { f32ToF16 } from '../dist/src/tensor/dtype.js';

const [src, dst] = process.argv.slice(2);
if (!src || !dst) {
  console.error('usage: node scripts/pack-model.js <trained-folder> <dest-folder>');
  process.exit(2);
}
mkdirSync(dst, { recursive: true });
const st = new SafetensorsFile(join(src, 'model.safetensors'));
const out = [];
for (const name of [...st.entries.keys()].sort()) {
  const w = st.read(name);
  const keepF32 = w.shape.length < 2 || name.endsWith('.A_log') || name.endsWith('conv1d.weight');
  if (keepF32) { out.push(w); continue; }
  const v = toF32(w);
  const h = new Uint16Array(v.length);
  for (let i = 0; i < v.length; i++) h[i] = f32ToF16(v[i]);
  out.push({ name, dtype: 'f16', shape: w.shape, data: new Uint8Array(h.buffer) });
}
st.close();
writeSafetensors(join(dst, 'model.safetensors'), out);
const config = JSON.parse(readFileSync(join(src, 'config.json'), 'utf8'));
config.torch_dtype = 'float16';
writeFileSync(join(dst, 'config.json'), JSON.stringify(config, null, 2) + '\n');
for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja', 'generation_config.json']) {
  if (existsSync(join(src, f))) copyFileSync(join(src, f), join(dst, f));
}
console.log(`packed ${out.length} tensors into ${dst}`);
