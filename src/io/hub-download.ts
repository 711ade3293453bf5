/**
 * One file from the Hub into `blobs/<etag>`, resumable: bytes go to `blobs/<etag>.incomplete` (the name
 * huggingface_hub uses, so either tool resumes the other's partial file), and a later try, in this
 * process or the next, continues with `Range: bytes=<have>-`. A dropped connection is retried at once
 * from where it stopped (huggingface_hub's http_get does the same, 5 times). LFS files, whose ETag is
 * their sha256, are checked before the blob is published.
 *
 * Plain fetch, not @huggingface/hub's downloadFile / downloadFileToCacheDir: those neither resume a
 * partial file nor report progress, and they follow redirects with the token attached; here the token
 * goes to the Hub's origin only, never to the CDN it redirects to.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { JambaUserError } from '../errors.js';
import type { HubSettings } from './hub-env.js';
import { authHeaders, describeNetworkError, hubError, type HubErrorContext } from './hub-http.js';

export interface DownloadJob {
  file: string;
  url: string;
  etag: string;
  size: number;
  /** Final path, blobs/<etag>. */
  blob: string;
}

export interface DownloadOptions {
  /** Further tries after a broken transfer (default 5). */
  retries?: number;
  /** Pause before try n is min(1000, backoffMs * 2^(n-1)) ms (default 250). */
  backoffMs?: number;
  /** Bytes gained (negative when a server ignored a Range and the partial file was restarted). */
  onBytes?: (delta: number) => void;
}

/** A broken transfer that may succeed when tried again. */
class Transient extends Error {}

function sizeOf(path: string): number {
  return statSync(path, { throwIfNoEntry: false })?.size ?? 0;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** GETs `url` (with a Range from `have`), following redirects by hand so the token never leaves the Hub. */
async function open206(s: HubSettings, ctx: HubErrorContext, url: string, have: number, signal: AbortSignal): Promise<Response> {
  for (let hop = 0; hop < 10; hop++) {
    let res: Response;
    try {
      res = await fetch(url, {
        redirect: 'manual', signal,
        headers: { ...authHeaders(s, url), 'accept-encoding': 'identity', ...(have > 0 ? { range: `bytes=${have}-` } : {}) },
      });
    } catch (e) {
      throw new Transient(describeNetworkError(e));
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) { url = new URL(location, url).toString(); continue; }
    if (res.ok || res.status === 416) return res;
    const err = hubError(s, res.status, res.headers.get('x-error-code') ?? undefined, ctx);
    if (res.status >= 500 || res.status === 429) throw new Transient(err.message);
    throw err;
  }
  throw new JambaUserError(`${ctx.repo}/${ctx.file}: too many redirects`);
}

/** One try: appends what the server sends to the partial file. */
async function transfer(s: HubSettings, ctx: HubErrorContext, job: DownloadJob, part: string, onBytes: (d: number) => void): Promise<void> {
  let have = sizeOf(part);
  const idle = new AbortController();
  let timer = setTimeout(() => idle.abort(), s.downloadTimeoutS * 1000);
  const fh = await open(part, 'a');
  try {
    const res = await open206(s, ctx, job.url, have, idle.signal);
    if (res.status === 416 || (res.status === 206 && !res.headers.get('content-range')?.startsWith(`bytes ${have}-`))) {
      await res.body?.cancel();
      throw new Transient(`server refused the range from byte ${have}`);
    }
    if (res.status === 200 && have > 0) {
      await fh.truncate(0); // the server ignored the Range: start over
      onBytes(-have);
      have = 0;
    }
    if (!res.body) throw new Transient('empty answer');
    try {
      for await (const chunk of res.body) {
        clearTimeout(timer);
        timer = setTimeout(() => idle.abort(), s.downloadTimeoutS * 1000);
        await fh.write(chunk);
        have += chunk.byteLength;
        onBytes(chunk.byteLength);
        if (have > job.size) break;
      }
    } catch (e) {
      throw new Transient(idle.signal.aborted ? `no data for ${s.downloadTimeoutS} s` : describeNetworkError(e));
    }
    if (have < job.size) throw new Transient('connection closed early');
  } finally {
    clearTimeout(timer);
    await fh.close();
  }
}

/** Downloads (or finishes downloading) one blob; on return `job.blob` holds the whole file. */
export async function downloadBlob(s: HubSettings, ctx: HubErrorContext, job: DownloadJob, opts: DownloadOptions = {}): Promise<void> {
  const retries = opts.retries ?? 5;
  const onBytes = opts.onBytes ?? (() => {});
  const part = `${job.blob}.incomplete`;
  mkdirSync(dirname(job.blob), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    const partial = sizeOf(part);
    if (partial > job.size) { rmSync(part); onBytes(-partial); }
    if (sizeOf(part) === job.size) break;
    try {
      await transfer(s, ctx, job, part, onBytes);
    } catch (e) {
      if (!(e instanceof Transient)) throw e;
      if (attempt >= retries) {
        throw new JambaUserError(`download of ${ctx.repo}/${job.file} broke off at ${sizeOf(part)} of ${job.size} bytes (${e.message}) after ${attempt + 1} tries; the partial file is kept: run the same command again to resume`);
      }
      await new Promise((r) => setTimeout(r, Math.min(1000, (opts.backoffMs ?? 250) * 2 ** attempt)));
    }
  }
  if (/^[0-9a-f]{64}$/.test(job.etag)) {
    const got = await sha256File(part);
    if (got !== job.etag) {
      rmSync(part);
      throw new JambaUserError(`download of ${ctx.repo}/${job.file} is corrupt (sha256 ${got}, expected ${job.etag}); it was deleted: run the same command again`);
    }
  }
  renameSync(part, job.blob);
}
