/** The served model id per the `jamba serve` contract: --model-id, else folder / file name without extension. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelIdFor } from '../../src/server/model-id.js';

test('model id from --model-id, a folder, a file or a Hub repo id', () => {
  const root = mkdtempSync(join(tmpdir(), 'jamba-model-id-'));
  mkdirSync(join(root, 'Jamba-v0.1'));
  writeFileSync(join(root, 'tiny.q8_0.gguf'), '');
  assert.equal(modelIdFor(join(root, 'Jamba-v0.1')), 'Jamba-v0.1', 'a folder keeps its dots');
  assert.equal(modelIdFor(join(root, 'Jamba-v0.1') + '/'), 'Jamba-v0.1', 'trailing slash');
  assert.equal(modelIdFor(join(root, 'tiny.q8_0.gguf')), 'tiny.q8_0', 'a file loses its last extension');
  assert.equal(modelIdFor('ai21labs/Jamba-tiny-dev'), 'Jamba-tiny-dev');
  assert.equal(modelIdFor('models/missing.gguf'), 'missing');
  assert.equal(modelIdFor(join(root, 'Jamba-v0.1'), 'my-model'), 'my-model');
});
