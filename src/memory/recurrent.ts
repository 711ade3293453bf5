/**
 * Recurrent state of one Mamba layer for one sequence (spec §6.2, llama.cpp layout):
 * - conv: the previous K-1 inputs of the depthwise conv per channel, [E, K-1], oldest first;
 * - ssm:  the selective-scan state h, [E, N], float32.
 * A fresh sequence starts from zeros; the size never grows with the sequence.
 */
export class RecurrentState {
  readonly conv: Float32Array;
  readonly ssm: Float32Array;

  constructor(readonly E: number, readonly N: number, readonly K: number) {
    this.conv = new Float32Array(E * (K - 1));
    this.ssm = new Float32Array(E * N);
  }

  get bytes(): number { return 4 * (this.conv.length + this.ssm.length); }

  copyFrom(o: RecurrentState): void {
    this.conv.set(o.conv);
    this.ssm.set(o.ssm);
  }

  copy(): RecurrentState {
    const c = new RecurrentState(this.E, this.N, this.K);
    c.copyFrom(this);
    return c;
  }

  reset(): void {
    this.conv.fill(0);
    this.ssm.fill(0);
  }
}
