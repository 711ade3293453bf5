/**
 * Pre-tokenization of GGUF `gpt2` (byte-level BPE) vocabularies: the regular expressions llama.cpp uses
 * for each `tokenizer.ggml.pre` name (src/llama-vocab.cpp, `llm_tokenizer_bpe`), applied in sequence
 * (each one splits the pieces of the previous one; text between matches is kept as its own piece, as
 * llama.cpp's `unicode_regex_split` does), and GPT-2's byte ↔ printable-character mapping.
 */
import { JambaUserError } from '../errors.js';

const GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
const LLAMA3 =
  "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2 =
  "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

interface PreTokenizer {
  regexes: string[];
  /** A whole word that is a token is taken as is, before any merge (llama3, tekken). */
  ignoreMerges: boolean;
  /** llama.cpp's add_bos default for this pre-tokenizer when the GGUF does not say. */
  addBos: boolean;
}

const TABLE: [names: string[], pre: PreTokenizer][] = [
  [['', 'default'], { regexes: ['[\\p{P}\\$\\+<=>\\^~\\|]+', GPT2, '\\p{N}+', '[0-9][0-9][0-9]'], ignoreMerges: false, addBos: false }],
  [['llama3', 'llama-v3', 'llama-bpe', 'falcon3'], { regexes: [LLAMA3], ignoreMerges: true, addBos: true }],
  [['dbrx', 'smaug-bpe', 'chatglm-bpe'], { regexes: [LLAMA3], ignoreMerges: false, addBos: false }],
  [
    ['gpt-2', 'phi-2', 'jina-es', 'jina-de', 'gigachat', 'jina-v1-en', 'jina-v2-es', 'jina-v2-de', 'jina-v2-code', 'roberta-bpe', 'mpt', 'olmo', 'jais'],
    { regexes: [GPT2], ignoreMerges: false, addBos: false },
  ],
  [['qwen2', 'stablelm2', 'megrez'], { regexes: [QWEN2], ignoreMerges: false, addBos: false }],
  [['starcoder', 'refact', 'command-r', 'smollm', 'codeshell', 'exaone', 'minerva-7b'], { regexes: ['\\p{N}', GPT2], ignoreMerges: false, addBos: false }],
  [['falcon'], { regexes: ['[\\p{P}\\$\\+<=>\\^~\\|`]+', GPT2, '[0-9][0-9][0-9]'], ignoreMerges: false, addBos: false }],
  [['deepseek-coder'], { regexes: ['[\\r\\n]', '\\s?\\p{L}+', '\\s?\\p{P}+', '[一-龥ࠀ-一가-퟿]+', '\\p{N}'], ignoreMerges: false, addBos: false }],
  [['poro-chat', 'bloom', 'gpt3-finnish'], { regexes: [' ?[^(\\s|.,!?…。，、।۔،)]+'], ignoreMerges: false, addBos: false }],
  [['viking'], { regexes: [' ?[^(\\s|.,!?…。，、।۔،)]+', '\\p{N}'], ignoreMerges: false, addBos: false }],
];

export function preTokenizerFor(pre: string, origin: string): PreTokenizer {
  for (const [names, p] of TABLE) if (names.includes(pre)) return p;
  throw new JambaUserError(`${origin}: BPE pre-tokenizer '${pre}' (tokenizer.ggml.pre) is not supported`);
}

/** Splits `text` by each regex in turn, keeping the text between matches as pieces too. */
export function regexSplit(text: string, regexes: readonly string[]): string[] {
  let pieces = [text];
  for (const src of regexes) {
    const re = new RegExp(src, 'gu');
    const next: string[] = [];
    for (const piece of pieces) {
      let last = 0;
      for (const m of piece.matchAll(re)) {
        if (m[0].length === 0) continue;
        if (m.index! > last) next.push(piece.slice(last, m.index));
        next.push(m[0]);
        last = m.index! + m[0].length;
      }
      if (last < piece.length) next.push(piece.slice(last));
    }
    pieces = next;
  }
  return pieces;
}

/** GPT-2's byte → printable character table (`bytes_to_unicode`) and its inverse. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const table: string[] = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCodePoint(printable ? b : 256 + extra++);
  }
  return table;
})();

export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));
