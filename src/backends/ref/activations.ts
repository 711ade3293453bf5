/** Scalar activations and softplus, as the reference defines them (spec §4, §6.1). */
import type { Act } from '../backend.js';

export function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

/** Exact GELU (erf form), HF's "gelu": x·Φ(x). For negative x, Φ is erfc's tail (no 1 + erf cancellation). */
export function gelu(x: number): number {
  return x >= 0 ? 0.5 * x * (1 + erf(x / Math.SQRT2)) : 0.5 * x * erfc(-x / Math.SQRT2);
}

/** erfc(a) for a >= 0, accurate in relative terms far into the tail. */
function erfc(a: number): number {
  if (a < 2.5) return 1 - erf(a);
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (a + f);
  return Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f);
}

// Abramowitz–Stegun 7.1.26 is not exact enough; use a series / continued fraction accurate to 1e-15.
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Taylor series: erf(x) = 2/sqrt(pi) Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let sum = ax, term = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  const c = erfc(ax);
  return x < 0 ? c - 1 : 1 - c;
}

export function activation(act: Act): (x: number) => number {
  switch (act) {
    case 'silu': return silu;
    case 'gelu': return gelu;
    case 'relu': return (x) => (x > 0 ? x : 0);
  }
}

/** softplus with the reference's pass-through above 20. */
export function softplus(y: number): number {
  return y > 20 ? y : Math.log1p(Math.exp(y));
}
