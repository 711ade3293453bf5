/**
 * Golden tests against HF transformers' JambaForCausalLM (../shared/reference): for every config and
 * case, full logits, cached generation step logits and greedy ids, and the `short` hidden states.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/model/load.js';
import { generateGreedy } from '../../src/generate/greedy.js';
import { REFERENCE_CONFIGS, maxAbsDiff, readF32, referenceCases, referenceDir } from '../helpers/reference.js';
import { testBackends } from '../helpers/backends.js';

const TOL = 1e-4;

for (const backend of testBackends()) {
  for (const cfg of REFERENCE_CONFIGS) {
    test(`${cfg} matches HF on ${backend.name}`, async (t) => {
      const model = await loadModel(referenceDir(cfg), backend);
      const { V, H, L } = model.dims;
      for (const c of referenceCases(cfg)) {
        await t.test(c.name, () => {
          // Full logits: one uncached forward over each batch row (all rows in one batch).
          const logits = model.forward(c.input_ids.map((ids) => ({ memory: model.newSequence(), tokens: ids })), { logits: 'all' });
          const ref = readF32(cfg, c.logits);
          assert.equal(logits.length, c.batch * c.seq_len * V);
          const d = maxAbsDiff(logits, ref);
          assert.ok(d < TOL, `full logits differ by ${d}`);

          // Generation: prefill + cached decode; step logits and greedy ids.
          const steps = new Float32Array(c.batch * c.max_new_tokens * V);
          const res = generateGreedy(model, c.input_ids, {
            maxTokens: c.max_new_tokens, ignoreEos: true,
            onStepLogits: (s, step, row) => steps.set(row, (s * c.max_new_tokens + step) * V),
          });
          assert.deepEqual(res.ids, c.generated_ids);
          const ds = maxAbsDiff(steps, readF32(cfg, c.step_logits));
          assert.ok(ds < TOL, `step logits differ by ${ds}`);

          if (c.hidden_states) {
            const want = readF32(cfg, c.hidden_states); // [L+1, B, T, H]
            const per = c.batch * c.seq_len * H;
            const seen = new Map<number, Float32Array>();
            model.forward(c.input_ids.map((ids) => ({ memory: model.newSequence(), tokens: ids })), {
              logits: 'none',
              onHidden: (i, x) => seen.set(i, x.slice(0, per)),
            });
            for (let j = 0; j <= L; j++) {
              // HF: index j < L is the residual after layer j-1 (0 = embeddings); index L is the final norm.
              const mine = seen.get(j < L ? j : L + 1)!;
              const dh = maxAbsDiff(mine, want.subarray(j * per, (j + 1) * per));
              assert.ok(dh < TOL, `hidden state ${j} differs by ${dh}`);
            }
          }
        });
      }
    });
  }
}
