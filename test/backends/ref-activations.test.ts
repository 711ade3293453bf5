/** The reference activations against known values of the normal CDF Φ (gelu(x) = x·Φ(x)) and softplus's pass-through. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gelu, softplus, silu } from '../../src/backends/ref/activations.js';

// Φ(x) from standard tables (to 15+ significant digits).
const PHI: [number, number][] = [[-10, 7.619853024160527e-24], [-8, 6.220960574271785e-16], [-7, 1.279812543885835e-12], [-3, 1.3498980316300946e-3], [-1, 0.15865525393145707], [0, 0.5], [1, 0.8413447460685429], [3, 0.9986501019683699]];

test('gelu = x·Φ(x) to 1e-12 relative, deep into the negative tail', () => {
  for (const [x, phi] of PHI) {
    const want = x * phi;
    const got = gelu(x);
    assert.ok(Math.abs(got - want) <= 1e-12 * Math.abs(want), `gelu(${x}) = ${got}, want ${want}`);
  }
});

test('softplus passes through above 20; silu is x·sigmoid(x)', () => {
  assert.equal(softplus(20.5), 20.5);
  assert.ok(Math.abs(softplus(0) - Math.LN2) < 1e-15);
  assert.ok(Math.abs(softplus(-30) - Math.exp(-30)) < 1e-25);
  assert.ok(Math.abs(silu(2) - 2 / (1 + Math.exp(-2))) < 1e-15);
});
