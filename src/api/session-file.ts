/**
 * The file a chat session saves to: everything needed to continue the conversation exactly where it
 * stopped, with no recomputation.
 *
 *   8 bytes  "JAMBACHT"
 *   u32      version (1)
 *   u32      header length h
 *   h bytes  JSON header: model fingerprint, session options, messages, the token ids the state holds,
 *            the rewind mark's length, the sampler's random state, and the two blob sizes
 *   padding to a multiple of 4
 *   blob     the sequence memory (SequenceMemory.serialize: KV rows + recurrent states)
 *   blob     the rewind mark's recurrent states (session-mark.ts), float32
 * All little-endian. Written to a temporary file and renamed, so a crash never leaves half a session.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { JambaUserError } from '../errors.js';
import type { ChatMessage } from '../tokenizer/chat-template.js';

const MAGIC = 'JAMBACHT';
const VERSION = 1;

export interface SessionHeader {
  /** What the state is only valid for (dims and vocabulary size). */
  fingerprint: string;
  /** The model reference it was saved with (informational). */
  model: string;
  options: Record<string, unknown>;
  messages: ChatMessage[];
  tokens: number[];
  mark: number | null;
  rng: number[];
  memoryBytes: number;
  markFloats: number;
}

export interface SessionFile {
  header: SessionHeader;
  memory: Uint8Array;
  mark: Float32Array;
}

export function writeSessionFile(path: string, header: Omit<SessionHeader, 'memoryBytes' | 'markFloats'>, memory: Uint8Array, mark: Float32Array): void {
  const head = new TextEncoder().encode(JSON.stringify({ ...header, memoryBytes: memory.byteLength, markFloats: mark.length }));
  const start = 16 + head.length;
  const pad = (4 - (start % 4)) % 4;
  const out = new Uint8Array(start + pad + memory.byteLength + mark.byteLength);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, VERSION, true);
  dv.setUint32(12, head.length, true);
  out.set(head, 16);
  out.set(memory, start + pad);
  out.set(new Uint8Array(mark.buffer, mark.byteOffset, mark.byteLength), start + pad + memory.byteLength);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, out);
    renameSync(tmp, path);
  } catch (e) {
    throw new JambaUserError(`cannot write the session to ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function readSessionFile(path: string): SessionFile {
  let b: Uint8Array;
  try {
    b = readFileSync(path);
  } catch (e) {
    throw new JambaUserError(`cannot read the session ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const bad = (why: string): never => { throw new JambaUserError(`${path}: ${why}`); };
  if (b.byteLength < 16 || new TextDecoder().decode(b.subarray(0, 8)) !== MAGIC) bad('not a jamba-ts chat session file');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== VERSION) bad(`unsupported session file version ${version}`);
  const hl = dv.getUint32(12, true);
  if (16 + hl > b.byteLength) bad('truncated session file');
  let header: SessionHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(b.subarray(16, 16 + hl)));
  } catch {
    return bad('corrupt session header');
  }
  const ok = typeof header === 'object' && header !== null && typeof header.fingerprint === 'string' &&
    Array.isArray(header.messages) && Array.isArray(header.tokens) && Array.isArray(header.rng) &&
    Number.isInteger(header.memoryBytes) && Number.isInteger(header.markFloats);
  if (!ok) bad('corrupt session header');
  const start = 16 + hl + ((4 - ((16 + hl) % 4)) % 4);
  if (b.byteLength !== start + header.memoryBytes + 4 * header.markFloats) bad('truncated or corrupt session file (size does not match its header)');
  const memory = b.subarray(start, start + header.memoryBytes);
  const mark = new Float32Array(header.markFloats);
  new Uint8Array(mark.buffer).set(b.subarray(start + header.memoryBytes));
  return { header, memory, mark };
}
