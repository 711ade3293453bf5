/**
 * A forward call's batch: several sequences, each contributing a chunk of new tokens, laid end to end
 * without padding. Row `offset + t` of every [T, n] activation is token t of sequence `seq`.
 */
import type { SequenceMemory } from '../memory/sequence.js';

export interface Segment {
  memory: SequenceMemory;
  /** First row of this sequence's tokens in the batch. */
  offset: number;
  /** Number of new tokens. */
  T: number;
  /** Tokens consumed before this call (the sequence's length when the call started). */
  past: number;
}
