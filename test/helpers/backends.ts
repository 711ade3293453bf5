/**
 * The backends a model-level test runs on: always the reference backend, plus the native backend when
 * its addon is built here. In CI (CI=true) the native addon must load: a missing build fails there
 * instead of silently shrinking the test matrix.
 */
import type { Backend } from '../../src/backends/backend.js';
import { createBackend } from '../../src/backends/index.js';
import { RefBackend } from '../../src/backends/ref/index.js';

let cached: Backend[] | null = null;

export function testBackends(): Backend[] {
  if (cached) return cached;
  const list: Backend[] = [new RefBackend()];
  try {
    const nb = createBackend('native', 2);
    list.push(nb);
  } catch (e) {
    if (process.env.JAMBA_REQUIRE_NATIVE === '1') throw e;
  }
  cached = list;
  return list;
}
