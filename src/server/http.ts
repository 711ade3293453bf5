/**
 * node:http plumbing: reading a bounded JSON body (413 past the limit, 400 for bad JSON), sending JSON
 * and OpenAI error objects, and Server-Sent Events (`data: <json>\n\n` … `data: [DONE]\n\n`).
 * Writes to a connection the client already closed are dropped, never thrown.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, invalid, toApiError } from './errors.js';

export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(new ApiError(413, `the request body is larger than ${limit} bytes`, 'invalid_request_error', null, 'request_too_large'));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('error', (e) => { if (!failed) { failed = true; reject(e); } });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return reject(invalid('the request body is empty; send a JSON object', null, 'invalid_json'));
      try {
        resolve(JSON.parse(text));
      } catch (e) {
        reject(invalid(`the request body is not valid JSON: ${(e as Error).message}`, null, 'invalid_json'));
      }
    });
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, e: unknown): ApiError {
  const err = toApiError(e);
  sendJson(res, err.status, err.body(), err.headers);
  return err;
}

export class Sse {
  constructor(private readonly res: ServerResponse) {}

  open(): void {
    this.res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    this.res.flushHeaders();
  }

  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  send(data: unknown): void {
    if (!this.closed) this.res.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  /** An error after the stream started: OpenAI clients raise it from the `error` field. */
  error(e: ApiError): void {
    this.send(e.body());
  }

  done(): void {
    if (this.closed) return;
    this.res.write('data: [DONE]\n\n');
    this.res.end();
  }
}
