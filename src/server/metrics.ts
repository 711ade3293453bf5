/**
 * GET /metrics in the Prometheus text format (version 0.0.4): HTTP requests by route and status, the
 * engine's request, token and step counters, queue depth, and the prompt cache's hits, misses, reused
 * tokens and size. Counters only grow; gauges are read when scraped.
 */
import type { EngineStats } from '../engine/scheduler.js';
import type { CacheStats } from '../engine/prompt-cache.js';

export class HttpCounters {
  private readonly counts = new Map<string, number>();

  count(route: string, status: number): void {
    const k = `${route}\u0000${status}`;
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }

  entries(): { route: string; status: string; n: number }[] {
    return [...this.counts].map(([k, n]) => { const [route, status] = k.split('\u0000') as [string, string]; return { route, status, n }; });
  }
}

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function renderMetrics(http: HttpCounters, e: EngineStats, c: CacheStats | null): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: [Record<string, string>, number][]): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) {
      const l = Object.entries(labels).map(([k, x]) => `${k}="${esc(x)}"`).join(',');
      lines.push(`${name}${l ? `{${l}}` : ''} ${v}`);
    }
  };
  metric('jamba_http_requests_total', 'counter', 'HTTP requests answered, by route and status code.',
    http.entries().map((x) => [{ route: x.route, code: x.status }, x.n]));
  metric('jamba_requests_total', 'counter', 'Generation requests finished, by finish reason.',
    Object.entries(e.finished).map(([reason, n]) => [{ reason }, n]));
  metric('jamba_requests_rejected_total', 'counter', 'Generation requests refused because the queue was full.', [[{}, e.rejected]]);
  metric('jamba_queue_depth', 'gauge', 'Requests waiting for a place in the running batch.', [[{}, e.queued]]);
  metric('jamba_running_requests', 'gauge', 'Requests in the running batch.', [[{}, e.running]]);
  metric('jamba_prompt_tokens_total', 'counter', 'Prompt tokens of admitted requests.', [[{}, e.promptTokens]]);
  metric('jamba_prompt_cached_tokens_total', 'counter', 'Prompt tokens restored from the prompt cache instead of prefilled.', [[{}, e.cachedTokens]]);
  metric('jamba_prefill_tokens_total', 'counter', 'Prompt tokens run through the model.', [[{}, e.prefilledTokens]]);
  metric('jamba_generated_tokens_total', 'counter', 'Tokens generated.', [[{}, e.generatedTokens]]);
  metric('jamba_engine_steps_total', 'counter', 'Batched forward steps.', [[{}, e.steps]]);
  metric('jamba_engine_busy_seconds_total', 'counter', 'Time spent in forward steps.', [[{}, e.busyMs / 1000]]);
  if (c) {
    metric('jamba_prompt_cache_hits_total', 'counter', 'Requests that restored a cached prefix.', [[{}, c.hits]]);
    metric('jamba_prompt_cache_misses_total', 'counter', 'Requests that found no cached prefix.', [[{}, c.misses]]);
    metric('jamba_prompt_cache_stored_total', 'counter', 'Checkpoints stored.', [[{}, c.stored]]);
    metric('jamba_prompt_cache_evictions_total', 'counter', 'Checkpoints evicted to stay within the byte bound.', [[{}, c.evicted]]);
    metric('jamba_prompt_cache_entries', 'gauge', 'Checkpoints held.', [[{}, c.entries]]);
    metric('jamba_prompt_cache_bytes', 'gauge', 'Bytes held by checkpoints.', [[{}, c.bytes]]);
    metric('jamba_prompt_cache_max_bytes', 'gauge', 'Byte bound of the prompt cache.', [[{}, c.maxBytes]]);
  }
  return lines.join('\n') + '\n';
}
