/**
 * A small reader of SentencePiece's tokenizer.model (a protobuf `ModelProto`, sentencepiece_model.proto):
 * only what a GGUF `llama` vocabulary needs — each piece's text, score and type (field 1), the trainer's
 * model type, byte_fallback and unk/bos/eos/pad ids (field 2) and the normaliser's name,
 * add_dummy_prefix and remove_extra_whitespaces (field 3). Everything else is skipped by wire type.
 * Proto2 defaults apply to absent fields (model_type UNIGRAM, add_dummy_prefix true, …).
 */
import { JambaUserError } from '../errors.js';
import type { BuiltVocab } from './convert-vocab-json.js';
import { TT, type AddedToken } from './convert-vocab-special.js';

export interface SpmModel {
  /** SentencePiece.Type values coincide with llama.cpp's llama_token_type (TT). */
  pieces: { piece: string; score: number; type: number }[];
  /** TrainerSpec.ModelType: 1 UNIGRAM, 2 BPE, 3 WORD, 4 CHAR. */
  modelType: number;
  byteFallback: boolean;
  unkId: number;
  bosId: number;
  eosId: number;
  padId: number;
  normalizerName: string;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }); // a piece may be U+FEFF itself

/** Iterates the fields of one protobuf message: [field number, wire type, value or sub-range]. */
function* fields(buf: Uint8Array, start: number, end: number, where: string): Generator<[number, number, number | Uint8Array]> {
  let p = start;
  /** A varint as a number; 64-bit values past 2^53 (int32 −1 is sent as ten bytes) through BigInt, signed. */
  const varint = (): number => {
    let v = 0, mul = 1;
    for (let i = 0; i < 7; i++) {
      if (p >= end) throw new JambaUserError(`${where}: truncated protobuf varint`);
      const b = buf[p++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
    let big = BigInt(v);
    for (let shift = 49n; shift < 70n; shift += 7n) {
      if (p >= end) throw new JambaUserError(`${where}: truncated protobuf varint`);
      const b = buf[p++]!;
      big |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return Number(BigInt.asIntN(64, big));
    }
    throw new JambaUserError(`${where}: protobuf varint longer than 10 bytes`);
  };
  const take = (n: number): Uint8Array => {
    if (p + n > end) throw new JambaUserError(`${where}: truncated protobuf message`);
    p += n;
    return buf.subarray(p - n, p);
  };
  while (p < end) {
    const tag = varint();
    const field = Math.floor(tag / 8), wire = tag % 8;
    if (wire === 0) yield [field, wire, varint()];
    else if (wire === 1) yield [field, wire, take(8)];
    else if (wire === 5) yield [field, wire, take(4)];
    else if (wire === 2) yield [field, wire, take(varint())];
    else throw new JambaUserError(`${where}: unsupported protobuf wire type ${wire}; is it a tokenizer.model?`);
  }
}

const bytesOf = (v: number | Uint8Array, where: string): Uint8Array => {
  if (typeof v === 'number') throw new JambaUserError(`${where}: expected a length-delimited protobuf field`);
  return v;
};
const f32Of = (v: number | Uint8Array): number =>
  typeof v === 'number' ? NaN : new DataView(v.buffer, v.byteOffset, 4).getFloat32(0, true);
const text = (b: Uint8Array, where: string): string => {
  try {
    return utf8.decode(b);
  } catch {
    throw new JambaUserError(`${where}: a SentencePiece string is not valid UTF-8`);
  }
};
const intOf = (v: number | Uint8Array): number => (typeof v === 'number' ? v : NaN);

export function readSpmModel(buf: Uint8Array, where: string): SpmModel {
  const m: SpmModel = {
    pieces: [], modelType: 1, byteFallback: false, unkId: 0, bosId: 1, eosId: 2, padId: -1,
    normalizerName: '', addDummyPrefix: true, removeExtraWhitespaces: true,
  };
  let sawTrainer = false;
  for (const [field, , v] of fields(buf, 0, buf.length, where)) {
    if (field === 1) {
      const b = bytesOf(v, where);
      const piece = { piece: '', score: 0, type: TT.NORMAL as number };
      for (const [f, , x] of fields(b, 0, b.length, where)) {
        if (f === 1) piece.piece = text(bytesOf(x, where), where);
        else if (f === 2) piece.score = f32Of(x);
        else if (f === 3) piece.type = intOf(x);
      }
      m.pieces.push(piece);
    } else if (field === 2) {
      sawTrainer = true;
      const b = bytesOf(v, where);
      for (const [f, , x] of fields(b, 0, b.length, where)) {
        if (f === 3) m.modelType = intOf(x);
        else if (f === 35) m.byteFallback = x !== 0;
        else if (f === 40) m.unkId = intOf(x);
        else if (f === 41) m.bosId = intOf(x);
        else if (f === 42) m.eosId = intOf(x);
        else if (f === 43) m.padId = intOf(x);
      }
    } else if (field === 3) {
      const b = bytesOf(v, where);
      for (const [f, , x] of fields(b, 0, b.length, where)) {
        if (f === 1) m.normalizerName = text(bytesOf(x, where), where);
        else if (f === 3) m.addDummyPrefix = x !== 0;
        else if (f === 4) m.removeExtraWhitespaces = x !== 0;
      }
    }
  }
  // pieces come first in the file, so one cut at a piece boundary shows as a missing trainer_spec
  if (m.pieces.length === 0 || !sawTrainer) throw new JambaUserError(`${where} holds no SentencePiece ${m.pieces.length ? 'trainer_spec (truncated?)' : 'pieces'}; is it a tokenizer.model?`);
  return m;
}

/**
 * The pieces as a `llama` vocabulary, as llama.cpp's _create_vocab_sentencepiece builds it (piece,
 * score, type), with the added tokens laid over (score −1000; special → control, else user-defined
 * with "▁" written as spaces). Departures, each to tokenise as Hugging Face's conversion of the same
 * model does: a user-defined piece stays user-defined (llama.cpp's export makes it normal, but
 * transformers turns it into an added token), an added token never overrides the model's own
 * unknown/byte piece of the same text, and add_space_prefix is the normaliser's add_dummy_prefix.
 */
export function vocabFromSpm(m: SpmModel, added: Map<number, AddedToken>): BuiltVocab {
  const tokens: (string | undefined)[] = m.pieces.map((p) => p.piece);
  const scores = m.pieces.map((p) => p.score);
  const types: number[] = m.pieces.map((p) => (p.type >= 1 && p.type <= 6 ? p.type : TT.NORMAL));
  for (const [id, a] of added) {
    if (tokens[id] === a.content && (types[id] === TT.UNKNOWN || types[id] === TT.BYTE || types[id] === TT.CONTROL)) continue;
    tokens[id] = a.special ? a.content : a.content.replaceAll('\u2581', ' ');
    types[id] = a.special ? TT.CONTROL : TT.USER_DEFINED;
    scores[id] = -1000;
  }
  const notes: string[] = [];
  if (m.normalizerName !== '' && m.normalizerName !== 'identity') notes.push(`llama.cpp does not apply tokenizer.model's ${m.normalizerName} normalisation`);
  if (m.removeExtraWhitespaces) notes.push('llama.cpp does not collapse repeated spaces as tokenizer.model asks (remove_extra_whitespaces)');
  return {
    model: 'llama', pre: 'default', tokens, types, scores, merges: [], addSpacePrefix: m.addDummyPrefix,
    unkId: m.unkId >= 0 ? m.unkId : undefined, notMerged: 0, notes,
  };
}
