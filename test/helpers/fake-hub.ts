/**
 * A fake Hugging Face Hub on 127.0.0.1 (random ports) for the download tests, imitating the endpoints
 * and headers jamba-ts uses, as the real Hub answers them:
 *
 *   GET  /api/models/{owner}/{name}/revision/{rev}  → { _id, id, sha, siblings: [{ rfilename }], ... }
 *   HEAD|GET /{owner}/{name}/resolve/{rev}/{path}  → small files: 200 with ETag (git blob sha1),
 *        X-Repo-Commit, Content-Length, Range; LFS files: 302 to a second "CDN" server (another port,
 *        so another origin) with X-Linked-Etag (sha256) and X-Linked-Size, as the Hub does.
 *   Errors carry X-Error-Code: RepoNotFound (401 without a token, 404 with one), RevisionNotFound,
 *   EntryNotFound (404), GatedRepo (401 without a token, 403 with a wrong one).
 *
 * Knobs for failure tests: `drop` (send N body bytes, then cut the connection, K times), `slow`,
 * `ignoreRange`, `corrupt`. Every request is logged. Also `jambaAsync`: the CLI as a child process without blocking
 * this process's event loop (the fake Hub lives in it).
 */
import { createHash } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { CliResult } from './cli.js';
import { REPO_ROOT } from './reference.js';

export interface FakeRepoSpec {
  /** path → bytes or a file on disk (read once, in place). */
  files: Record<string, Buffer | { path: string }>;
  /** Branch/tag → commit; 'main' is always there. */
  branches?: string[];
  /** A gated repo: files need `Authorization: Bearer <token>`. */
  token?: string;
}

export interface LoggedRequest { server: 'hub' | 'cdn'; method: string; path: string; authorization?: string; range?: string }

interface Stored { data: Buffer; sha256: string; gitSha1: string; lfs: boolean }
interface Repo { commit: string; branches: Set<string>; files: Map<string, Stored>; token?: string }

const isLfs = (path: string, data: Buffer) => /\.(safetensors|gguf|bin)$/.test(path) || data.length > 100_000;

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

export class FakeHub {
  readonly requests: LoggedRequest[] = [];
  /** file path → cut the connection after `after` body bytes, `times` more times. */
  readonly drop = new Map<string, { after: number; times: number }>();
  /** file path → send its bytes in `chunk`-byte pieces `delayMs` apart (to interrupt a download by hand). */
  readonly slow = new Map<string, { chunk: number; delayMs: number }>();
  /** Answer ranged GETs with the whole file (200), as some servers do. */
  ignoreRange = false;
  /** Serve these files with one byte flipped (their ETag still the true sha256). */
  readonly corrupt = new Set<string>();
  url = '';
  cdnUrl = '';
  private readonly repos = new Map<string, Repo>();
  private readonly byHash = new Map<string, { repo: string; path: string; stored: Stored }>();
  private readonly hub = createServer((q, s) => this.onHub(q, s));
  private readonly cdn = createServer((q, s) => this.onCdn(q, s));

  static async start(repos: Record<string, FakeRepoSpec>): Promise<FakeHub> {
    const h = new FakeHub();
    for (const [name, spec] of Object.entries(repos)) h.addRepo(name, spec);
    h.url = await listen(h.hub);
    h.cdnUrl = await listen(h.cdn);
    return h;
  }

  addRepo(name: string, spec: FakeRepoSpec): void {
    const files = new Map<string, Stored>();
    for (const [path, src] of Object.entries(spec.files)) {
      const data = Buffer.isBuffer(src) ? src : readFileSync(src.path);
      const stored: Stored = {
        data,
        sha256: createHash('sha256').update(data).digest('hex'),
        gitSha1: createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex'),
        lfs: isLfs(path, data),
      };
      files.set(path, stored);
      this.byHash.set(stored.sha256, { repo: name, path, stored });
    }
    const commit = createHash('sha1').update(name + [...files.values()].map((f) => f.gitSha1).join()).digest('hex');
    this.repos.set(name, { commit, branches: new Set(['main', ...(spec.branches ?? [])]), files, token: spec.token });
  }

  commitOf(repo: string): string { return this.repos.get(repo)!.commit; }
  sha256Of(repo: string, path: string): string { return this.repos.get(repo)!.files.get(path)!.sha256; }
  gitSha1Of(repo: string, path: string): string { return this.repos.get(repo)!.files.get(path)!.gitSha1; }
  /** Requests for one file's bytes (GETs of its resolve URL or its CDN blob). */
  gets(repo: string, path: string): LoggedRequest[] {
    const sha = this.repos.get(repo)!.files.get(path)!.sha256;
    return this.requests.filter((r) => r.method === 'GET' && (r.path.endsWith(`/resolve/${this.commitOf(repo)}/${path}`) || r.path === `/blobs/${sha}`));
  }

  close(): Promise<void> {
    this.hub.closeAllConnections();
    this.cdn.closeAllConnections();
    return Promise.all([new Promise((r) => this.hub.close(r)), new Promise((r) => this.cdn.close(r))]).then(() => {});
  }

  private log(server: 'hub' | 'cdn', q: IncomingMessage): void {
    this.requests.push({ server, method: q.method ?? '', path: decodeURIComponent(q.url ?? ''), authorization: q.headers.authorization, range: q.headers.range });
  }

  private fail(s: ServerResponse, status: number, code: string, message: string): void {
    s.writeHead(status, { 'content-type': 'application/json', 'x-error-code': code, 'x-error-message': message });
    s.end(JSON.stringify({ error: message }));
  }

  /** The repo and commit a request is for, or an error answer already sent. */
  private lookup(q: IncomingMessage, s: ServerResponse, name: string, rev: string, needFiles: boolean): Repo | undefined {
    const repo = this.repos.get(name);
    const auth = q.headers.authorization;
    if (!repo) { this.fail(s, auth ? 404 : 401, 'RepoNotFound', 'Repository not found'); return undefined; }
    if (rev !== repo.commit && !repo.branches.has(rev)) { this.fail(s, 404, 'RevisionNotFound', 'Invalid rev id: ' + rev); return undefined; }
    if (needFiles && repo.token && auth !== `Bearer ${repo.token}`) {
      this.fail(s, auth ? 403 : 401, 'GatedRepo', `Access to model ${name} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
      return undefined;
    }
    return repo;
  }

  private onHub(q: IncomingMessage, s: ServerResponse): void {
    this.log('hub', q);
    const path = decodeURIComponent(new URL(q.url ?? '/', this.url).pathname);
    let m = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(path);
    if (m && q.method === 'GET') {
      const repo = this.lookup(q, s, m[1]!, m[2]!, false);
      if (!repo) return;
      s.writeHead(200, { 'content-type': 'application/json' });
      s.end(JSON.stringify({
        _id: 'fake' + repo.commit.slice(0, 20), id: m[1], sha: repo.commit, private: false, gated: repo.token ? 'manual' : false,
        downloads: 0, likes: 0, lastModified: '2025-01-01T00:00:00.000Z', pipeline_tag: 'text-generation',
        siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })),
      }));
      return;
    }
    m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (!m || (q.method !== 'GET' && q.method !== 'HEAD')) { this.fail(s, 404, 'NotFound', 'no such endpoint'); return; }
    const repo = this.lookup(q, s, m[1]!, m[2]!, true);
    if (!repo) return;
    const file = repo.files.get(m[3]!);
    if (!file) { this.fail(s, 404, 'EntryNotFound', `${m[3]} does not exist on "${m[2]}"`); return; }
    const common = { 'x-repo-commit': repo.commit, 'accept-ranges': 'bytes' };
    if (file.lfs) {
      s.writeHead(302, { ...common, location: `${this.cdnUrl}/blobs/${file.sha256}`, 'x-linked-etag': `"${file.sha256}"`, 'x-linked-size': String(file.data.length), 'content-length': '0' });
      s.end();
      return;
    }
    this.serveBytes(q, s, m[3]!, file, { ...common, etag: `"${file.gitSha1}"` });
  }

  private onCdn(q: IncomingMessage, s: ServerResponse): void {
    this.log('cdn', q);
    const m = /^\/blobs\/([0-9a-f]{64})$/.exec(q.url ?? '');
    const hit = m ? this.byHash.get(m[1]!) : undefined;
    if (!hit) { s.writeHead(404).end(); return; }
    // A CDN's own ETag is not the sha256 (S3's is an MD5): the client must use the Hub's X-Linked-Etag.
    this.serveBytes(q, s, hit.path, hit.stored, { etag: `"cdn-${hit.stored.gitSha1.slice(0, 16)}"` });
  }

  private serveBytes(q: IncomingMessage, s: ServerResponse, path: string, file: Stored, headers: Record<string, string>): void {
    let data = file.data;
    if (this.corrupt.has(path)) { data = Buffer.from(data); data[data.length >> 1]! ^= 0xff; }
    const total = data.length;
    let start = 0;
    let status = 200;
    const range = /^bytes=(\d+)-(\d*)$/.exec(q.headers.range ?? '');
    if (range && !this.ignoreRange) {
      start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), total - 1) : total - 1;
      if (start >= total) { s.writeHead(416, { 'content-range': `bytes */${total}` }).end(); return; }
      data = data.subarray(start, end + 1);
      status = 206;
      headers = { ...headers, 'content-range': `bytes ${start}-${end}/${total}` };
    }
    s.writeHead(status, { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(data.length) });
    if (q.method === 'HEAD') { s.end(); return; }
    const drop = this.drop.get(path);
    if (drop && drop.times > 0 && data.length > drop.after) {
      drop.times--;
      s.write(data.subarray(0, drop.after), () => setTimeout(() => s.socket?.destroy(), 20));
      return;
    }
    const slow = this.slow.get(path);
    if (slow) {
      let at = 0;
      const next = (): void => {
        if (s.destroyed) return;
        if (at >= data.length) { s.end(); return; }
        s.write(data.subarray(at, at + slow.chunk));
        at += slow.chunk;
        setTimeout(next, slow.delayMs);
      };
      next();
      return;
    }
    s.end(data);
  }
}

/** A 127.0.0.1 URL where nothing listens (a port just closed): connections are refused. */
export async function deadEndpoint(): Promise<string> {
  const s = createServer();
  const url = await listen(s);
  await new Promise((r) => s.close(r));
  return url;
}

/** The environment for a child `jamba` talking to `hub` with cache `cache`: nothing inherited from HF_*. */
export function hubEnv(hub: FakeHub | string, cache: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(HF_|HUGGING_FACE_|HUGGINGFACE_|TRANSFORMERS_OFFLINE)/.test(k)) env[k] = v;
  return { ...env, HF_ENDPOINT: typeof hub === 'string' ? hub : hub.url, HF_HOME: join(cache, 'home'), HF_HUB_CACHE: join(cache, 'hub'), ...extra };
}

/** Runs `jamba` as a child process without blocking the event loop (the fake Hub must keep answering). */
export function jambaAsync(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000, onStart?: (p: ChildProcess) => void): Promise<CliResult & { signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'jamba.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    onStart?.(p);
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    p.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('close', (code, signal) => { clearTimeout(timer); resolve({ code: code ?? -1, signal, stdout, stderr }); });
  });
}
