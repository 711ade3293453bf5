/**
 * A tokenizer.json (Hugging Face `tokenizers` format) through @huggingface/tokenizers, with the side
 * files read by hf-config.ts. Where that library departs from the Rust `tokenizers` crate we work around
 * it here (each place is marked "library gap"):
 *  - decode([]) throws instead of returning "";
 *  - unknown ids silently decode as the unk token (we range-check first);
 *  - with no clean_up_tokenization_spaces in tokenizer_config.json it cleans spaces (" ." → ".") by
 *    default, which the Rust crate never does and transformers no longer does by default: we pass false;
 *  - it has no switch to treat special-token text as plain text: for `parseSpecial: false` we build a
 *    second instance whose added tokens exclude the special ones;
 *  - `add_special_tokens` follows tokenizer.json's post-processor only, ignoring tokenizer_config.json's
 *    add_bos_token/add_eos_token (transformers rewrites the post-processor from them): when the config
 *    gives them we add BOS/EOS ourselves.
 * Known and left as is: its ByteFallback decoder turns an invalid run of byte tokens into one U+FFFD
 * per maximal invalid subsequence (TextDecoder), where the Rust crate writes one U+FFFD per byte token
 * of the whole run (so [<0xE2>,<0x82>,<0xAC>,<0xFF>] is "€\uFFFD" here, four U+FFFD in Rust). Only
 * malformed byte sequences differ.
 */
import { Tokenizer as HfLibTokenizer } from '@huggingface/tokenizers';
import { JambaUserError } from '../errors.js';
import { readHfTokenizerFiles, readJsonFile, type HfTokenizerFiles } from './hf-config.js';
import { BaseTokenizer, type EncodeOptions } from './tokenizer.js';

interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
}

export class HfTokenizer extends BaseTokenizer {
  private readonly lib: HfLibTokenizer;
  private readonly libConfig: Record<string, unknown>;
  private libPlain: HfLibTokenizer | undefined;
  private readonly specialIds: Set<number>;
  private readonly idToTok: string[];
  private readonly tokToId: Map<string, number>;
  /** True when tokenizer_config.json decides BOS/EOS (then we add them, not the post-processor). */
  private readonly configDecidesSpecial: boolean;

  constructor(
    origin: string,
    private readonly json: Record<string, unknown>,
    files: HfTokenizerFiles,
  ) {
    const libConfig = {
      ...files.config,
      // library gap: its default is true; the Rust crate has no such step and transformers defaults to false.
      clean_up_tokenization_spaces: files.config.clean_up_tokenization_spaces === true,
    };
    let lib: HfLibTokenizer;
    try {
      lib = new HfLibTokenizer(json, libConfig);
    } catch (e) {
      throw new JambaUserError(`${origin}: cannot build the tokenizer: ${(e as Error).message}`);
    }
    const tokToId = new Map<string, number>(lib.get_vocab(true));
    const idToTok: string[] = [];
    for (const [tok, id] of tokToId) idToTok[id] = tok;

    const idOf = (key: string): number | undefined => {
      const s = files.specialTokens[key];
      return s === undefined ? undefined : tokToId.get(s);
    };
    // What the post-processor adds around a text, to fill in what the config leaves out.
    const plain = lib.encode('a', { add_special_tokens: false }).ids;
    const full = lib.encode('a', { add_special_tokens: true }).ids;
    const ppFirst = full.length > plain.length && full[0] !== plain[0] ? full[0] : undefined;
    const ppLast = full.length > plain.length && full.at(-1) !== plain.at(-1) ? full.at(-1) : undefined;
    const bosId = idOf('bos_token') ?? ppFirst;
    const eosId = idOf('eos_token') ?? ppLast;

    const specialTokens: Record<string, string> = { ...files.specialTokens };
    if (specialTokens.bos_token === undefined && bosId !== undefined) specialTokens.bos_token = idToTok[bosId]!;
    if (specialTokens.eos_token === undefined && eosId !== undefined) specialTokens.eos_token = idToTok[eosId]!;

    super({
      kind: 'tokenizer.json',
      origin,
      vocabSize: idToTok.length,
      bosId,
      eosId,
      unkId: idOf('unk_token'),
      padId: idOf('pad_token'),
      eosIds: eosId === undefined ? [] : [eosId],
      addBos: files.addBos ?? (ppFirst !== undefined && ppFirst === bosId),
      addEos: files.addEos ?? (ppLast !== undefined && ppLast === eosId),
      specialTokens,
      chatTemplates: files.chatTemplates,
    });
    this.lib = lib;
    this.libConfig = libConfig;
    this.tokToId = tokToId;
    this.idToTok = idToTok;
    this.configDecidesSpecial = files.addBos !== undefined || files.addEos !== undefined;

    const added = (Array.isArray(json.added_tokens) ? json.added_tokens : []) as AddedTokenJson[];
    this.specialIds = new Set(added.filter((t) => t.special).map((t) => t.id));
    for (const s of (files.config.additional_special_tokens as unknown[] | undefined) ?? []) {
      const id = typeof s === 'string' ? tokToId.get(s) : undefined;
      if (id !== undefined) this.specialIds.add(id);
    }
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const addSpecial = options.addSpecial ?? true;
    const lib = options.parseSpecial === false ? this.plainLib() : this.lib;
    if (this.configDecidesSpecial || !addSpecial) {
      return this.withSpecial(lib.encode(text, { add_special_tokens: false }).ids, addSpecial);
    }
    return lib.encode(text, { add_special_tokens: true }).ids;
  }

  protected decodeChecked(ids: readonly number[], skipSpecial: boolean): string {
    // library gap: it throws on an empty list, so a list of only skipped specials is handled here.
    if (skipSpecial && ids.every((id) => this.specialIds.has(id))) return '';
    return this.lib.decode(ids as number[], { skip_special_tokens: skipSpecial });
  }

  idToToken(id: number): string | undefined {
    return this.idToTok[id];
  }

  tokenToId(token: string): number | undefined {
    return this.tokToId.get(token);
  }

  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  /** A twin whose added-token list leaves out special tokens, so their text is tokenized as text. */
  private plainLib(): HfLibTokenizer {
    if (!this.libPlain) {
      const added = (Array.isArray(this.json.added_tokens) ? this.json.added_tokens : []) as AddedTokenJson[];
      this.libPlain = new HfLibTokenizer({ ...this.json, added_tokens: added.filter((t) => !t.special) }, this.libConfig);
    }
    return this.libPlain;
  }
}

/** Loads tokenizer.json at `path` with its side files from `folder`. */
export function loadHfTokenizer(path: string, folder: string): HfTokenizer {
  let json: Record<string, unknown>;
  try {
    json = readJsonFile(path);
  } catch (e) {
    throw e instanceof JambaUserError ? e : new JambaUserError(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (typeof json.model !== 'object' || json.model === null) {
    throw new JambaUserError(`${path} is not a tokenizer.json: it has no "model" object`);
  }
  return new HfTokenizer(path, json, readHfTokenizerFiles(folder));
}
