/**
 * The float32 fast path of the linear layer (matmuls on an inference Backend through transposed
 * copies) gives the same forward and backward as the plain loops, to float32 rounding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBackend } from '../../src/backends/index.js';
import { configureTrainKernels } from '../../src/train/native.js';
import { linearBwd, linearFwd, useMatmulBackend } from '../../src/train/ops/linear.js';
import { maxAbsDiff } from '../helpers/reference.js';
import { fill, randn } from './helpers.js';

test('linear on the backend matmul = plain loops (forward, dx, dW, db)', () => {
  const g = randn(9);
  const M = 37, nIn = 29, nOut = 43;
  const f32 = (n: number) => new Float32Array(n);
  const x = fill(f32(M * nIn), g) as Float32Array, W = fill(f32(nOut * nIn), g) as Float32Array, b = fill(f32(nOut), g) as Float32Array, dy = fill(f32(M * nOut), g) as Float32Array;
  const run = () => {
    const y = f32(M * nOut), dx = fill(f32(M * nIn), randn(1)), dW = fill(f32(nOut * nIn), randn(2)), db = fill(f32(nOut), randn(3));
    linearFwd(y, x, W, b, M, nIn, nOut);
    linearBwd(dx, dW, db, dy, x, W, M, nIn, nOut);
    return [y, dx, dW, db];
  };
  configureTrainKernels({ enabled: false }); // the transposed-copy path, not the training kernels
  useMatmulBackend(null);
  const plain = run();
  useMatmulBackend(createBackend('auto'));
  try {
    const fast = run();
    plain.forEach((p, i) => assert.ok(maxAbsDiff(p, fast[i]!) < 1e-4, `output ${i} differs by ${maxAbsDiff(p, fast[i]!)}`));
  } finally {
    useMatmulBackend(null);
    configureTrainKernels({ enabled: true });
  }
});
