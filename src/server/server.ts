/**
 * The OpenAI-compatible HTTP server (node:http, 127.0.0.1 by default):
 *   POST /v1/chat/completions, POST /v1/completions  (JSON or SSE, respond.ts)
 *   GET  /v1/models, /v1/models/{id}, /health, /metrics
 * Every failure becomes an OpenAI error object with its 4xx/5xx status (errors.ts); nothing a client
 * sends can throw out of a handler. `close` is graceful: stop accepting, let running requests finish
 * within a grace period, then cancel what is left.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, invalid } from './errors.js';
import { chatPrompt, TemplateCache } from './chat-request.js';
import { completionPrompt } from './completion-request.js';
import { Fields } from './fields.js';
import { readJsonBody, sendError, sendJson } from './http.js';
import { HttpCounters, renderMetrics } from './metrics.js';
import { readGenParams } from './params.js';
import { respond, type Job, type ServeContext } from './respond.js';

export interface ServerOptions extends ServeContext {
  /** Largest accepted request body in bytes (default 8 MiB). */
  bodyLimit?: number;
  log?: (line: string) => void;
}

type Handler = (req: IncomingMessage, res: ServerResponse, rest: string) => Promise<void> | void;

export class JambaServer {
  readonly http: Server;
  private readonly counters = new HttpCounters();
  private readonly templates: TemplateCache;
  private readonly created = Math.floor(Date.now() / 1000);
  private closing: Promise<void> | null = null;
  private readonly routes: Record<string, Partial<Record<string, Handler>>>;

  constructor(private readonly o: ServerOptions) {
    this.templates = new TemplateCache(o.tokenizer);
    this.routes = {
      '/v1/chat/completions': { POST: (q, s) => this.complete('chat', q, s) },
      '/v1/completions': { POST: (q, s) => this.complete('text', q, s) },
      '/v1/models': { GET: (_q, s) => sendJson(s, 200, { object: 'list', data: [this.modelCard()] }) },
      '/v1/models/': { GET: (_q, s, id) => this.model(s, decodeURIComponent(id)) },
      '/health': { GET: (_q, s) => sendJson(s, this.closing ? 503 : 200, { status: this.closing ? 'shutting_down' : 'ok', model: o.modelId }) },
      '/metrics': { GET: (_q, s) => this.metrics(s) },
    };
    this.http = createServer((req, res) => void this.handle(req, res));
    this.http.on('clientError', (_e, socket) => { if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'); });
  }

  listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => {
        this.http.off('error', reject);
        resolve(this.http.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting, waits up to `graceMs` for running requests, cancels the rest, closes connections. */
  close(graceMs = 10_000): Promise<void> {
    this.closing ??= (async () => {
      const stopped = new Promise<void>((r) => this.http.close(() => r()));
      this.http.closeIdleConnections();
      const timer = setTimeout(() => this.o.engine.cancelAll(), graceMs);
      await this.o.engine.close();
      clearTimeout(timer);
      await new Promise((r) => setImmediate(r)); // let the last responses flush
      this.http.closeAllConnections();
      await stopped;
    })();
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on('error', () => undefined); // a client that vanished mid-write is not our error
    const path = (req.url ?? '/').split('?')[0]!;
    const key = path.startsWith('/v1/models/') ? '/v1/models/' : path;
    const route = this.routes[key];
    res.on('finish', () => this.counters.count(route ? key : 'other', res.statusCode));
    try {
      if (!route) throw new ApiError(404, `no route ${req.method} ${path}`, 'not_found_error', null, 'unknown_route');
      const h = route[req.method ?? ''];
      if (!h) throw new ApiError(405, `${path} does not take ${req.method}`, 'invalid_request_error', null, 'method_not_allowed', { Allow: Object.keys(route).join(', ') });
      await h(req, res, path.slice(key.length));
    } catch (e) {
      const err = sendError(res, e);
      if (err.status >= 500 && err.type === 'server_error') this.o.log?.(`error on ${req.method} ${path}: ${(e as Error)?.stack ?? String(e)}`);
      if (!res.writableEnded && !res.destroyed) res.end();
    }
  }

  private modelCard(): Record<string, unknown> {
    return { id: this.o.modelId, object: 'model', created: this.created, owned_by: 'jamba-ts' };
  }

  private model(res: ServerResponse, id: string): void {
    if (id !== this.o.modelId) throw new ApiError(404, `The model '${id}' does not exist`, 'invalid_request_error', 'model', 'model_not_found');
    sendJson(res, 200, this.modelCard());
  }

  private metrics(res: ServerResponse): void {
    const text = renderMetrics(this.counters, this.o.engine.stats(), this.o.engine.cache?.stats() ?? null);
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(text);
  }

  private async complete(kind: 'chat' | 'text', req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.closing) throw new ApiError(503, 'the server is shutting down', 'overloaded_error', null, 'shutting_down');
    const f = Fields.of(await readJsonBody(req, this.o.bodyLimit ?? 8 << 20));
    const model = f.requireString('model');
    if (model !== this.o.modelId) throw new ApiError(404, `The model '${model}' does not exist (this server has '${this.o.modelId}')`, 'invalid_request_error', 'model', 'model_not_found');
    const params = readGenParams(f, kind === 'chat' ? 'chat' : 'completion', this.o.engine.model.dims.V);
    let job: Job;
    if (kind === 'chat') {
      const cp = chatPrompt(f, this.o.tokenizer, this.templates);
      job = { kind, prompt: cp.ids, checkpointAt: cp.boundaries, params, toolFormat: cp.tools ? cp.format : null };
    } else {
      job = { kind, prompt: completionPrompt(f, this.o.tokenizer), checkpointAt: [], params, toolFormat: null };
    }
    if (job.prompt.length === 0) throw invalid('the prompt encodes to no tokens', kind === 'chat' ? 'messages' : 'prompt');
    await respond(this.o, job, req, res);
  }
}
