/**
 * HTTP with the Hub: the bearer token, timeouts, redirects, file metadata, and the Hub's errors turned
 * into one-line user errors (after huggingface_hub's utils/_http.py hf_raise_for_status and
 * file_download.py get_hf_file_metadata).
 *
 * File metadata is a plain-fetch HEAD rather than @huggingface/hub's fileDownloadInfo because that
 * one follows every redirect: for an LFS file the Hub answers 302 to a CDN on another host, and the
 * ETag that names the blob (X-Linked-Etag, the sha256) is on the 302, not on the CDN's answer. Like
 * huggingface_hub we follow same-origin redirects only and read the headers where the Hub gave them.
 */
import { JambaUserError } from '../errors.js';
import type { HubSettings } from './hub-env.js';

/** The Hub could not be reached at all (no answer, refused, timed out): the cache may still serve. */
export class HubNetworkError extends JambaUserError {
  constructor(readonly endpoint: string, override readonly cause: string, prefix = '') {
    super(`${prefix}cannot reach the Hub at ${endpoint} (${cause}); set HF_HUB_OFFLINE=1 to use the local cache only`);
  }
}

export function describeNetworkError(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
  return err.cause?.code ?? err.cause?.message ?? err.message;
}

/** Headers for a request to `url`: the token only goes to the Hub's own origin, never to a CDN. */
export function authHeaders(s: HubSettings, url: string): Record<string, string> {
  return s.token && new URL(url).origin === new URL(s.endpoint).origin ? { authorization: `Bearer ${s.token}` } : {};
}

/**
 * A fetch for @huggingface/hub calls: adds our token (passed here, not as the library's accessToken,
 * which rejects tokens not starting with 'hf_') and a timeout; records the Hub's X-Error-Code of a failed
 * answer in `errorCode`, since the library's HubApiError keeps no headers.
 */
export function libraryFetch(s: HubSettings): { fetch: typeof fetch; errorCode(): string | undefined } {
  let code: string | undefined;
  const f: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const headers = new Headers(init?.headers);
    for (const [k, v] of Object.entries(authHeaders(s, url))) headers.set(k, v);
    let res: Response;
    try {
      res = await fetch(input, { ...init, headers, signal: AbortSignal.timeout(s.etagTimeoutS * 1000) });
    } catch (e) {
      throw new HubNetworkError(s.endpoint, describeNetworkError(e));
    }
    code = res.ok ? undefined : res.headers.get('x-error-code') ?? undefined;
    return res;
  };
  return { fetch: f, errorCode: () => code };
}

export interface HubErrorContext {
  repo: string;
  revision: string;
  file?: string;
  /** Added to 'not found' messages (e.g. that no local path of that name exists either). */
  notFoundHint?: string;
}

/** The user error for a failed Hub answer. */
export function hubError(s: HubSettings, status: number, code: string | undefined, ctx: HubErrorContext, detail = ''): JambaUserError {
  const { repo, revision } = ctx;
  const hint = ctx.notFoundHint ?? '';
  const tokenAdvice = s.token ? 'the token in HF_TOKEN has no access to it' : 'set HF_TOKEN to an access token';
  if (code === 'GatedRepo') {
    return new JambaUserError(s.token
      ? `${repo} is a gated repo and the token in HF_TOKEN has no access: accept its terms on the Hub with that account (HTTP ${status})`
      : `${repo} is a gated repo: accept its terms on the Hub and set HF_TOKEN to an access token of that account (HTTP ${status})`);
  }
  if (code === 'RepoNotFound' || (status === 404 && !code && !ctx.file)) {
    return new JambaUserError(`${repo}: repository not found on ${s.endpoint}${s.token ? '' : ' (if it is private or gated, set HF_TOKEN)'}${hint}`);
  }
  if (code === 'RevisionNotFound') return new JambaUserError(`${repo}: revision '${revision}' not found on ${s.endpoint}${hint}`);
  if (code === 'EntryNotFound' || status === 404) {
    return new JambaUserError(`${repo}@${revision}: ${ctx.file ? `file ${ctx.file}` : 'it'} not found on ${s.endpoint}${hint}`);
  }
  if (status === 401 || status === 403) {
    return new JambaUserError(`${repo}: access denied (HTTP ${status}): if it is private or gated, ${tokenAdvice}`);
  }
  return new JambaUserError(`${repo}${ctx.file ? `/${ctx.file}` : ''}: the Hub at ${s.endpoint} answered HTTP ${status}${detail ? ` (${detail})` : ''}`);
}

export function resolveUrl(s: HubSettings, repo: string, revision: string, file: string): string {
  const path = file.split('/').map(encodeURIComponent).join('/');
  return `${s.endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${path}`;
}

export interface FileMetadata {
  /** Normalised ETag (no W/ or quotes): the blob's name. */
  etag: string;
  size: number;
  /** Where to GET the bytes (the CDN location of a cross-origin redirect, else the resolve URL). */
  url: string;
  commit: string | undefined;
}

/** HEAD of a file at a revision (huggingface_hub's get_hf_file_metadata). */
export async function fileMetadata(s: HubSettings, ctx: HubErrorContext & { file: string }): Promise<FileMetadata> {
  let url = resolveUrl(s, ctx.repo, ctx.revision, ctx.file);
  for (let hop = 0; hop < 10; hop++) {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'HEAD', redirect: 'manual',
        headers: { ...authHeaders(s, url), 'accept-encoding': 'identity' },
        signal: AbortSignal.timeout(s.etagTimeoutS * 1000),
      });
    } catch (e) {
      throw new HubNetworkError(s.endpoint, describeNetworkError(e));
    }
    const h = res.headers;
    const location = h.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, url).toString();
      if (new URL(next).origin === new URL(url).origin) { url = next; continue; }
    } else if (!res.ok) {
      throw hubError(s, res.status, h.get('x-error-code') ?? undefined, ctx, h.get('x-error-message') ?? '');
    }
    const etag = (h.get('x-linked-etag') ?? h.get('etag') ?? '').replace(/^W\//, '').replace(/"/g, '');
    const size = Number(h.get('x-linked-size') ?? h.get('content-length'));
    if (!etag || !/^[\w.-]+$/.test(etag)) throw new JambaUserError(`${ctx.repo}/${ctx.file}: the Hub gave no usable ETag, so the file can't be cached`);
    if (!Number.isSafeInteger(size) || size < 0) throw new JambaUserError(`${ctx.repo}/${ctx.file}: the Hub gave no file size`);
    const cdn = res.status >= 300 && res.status < 400 && location ? new URL(location, url).toString() : url;
    return { etag, size, url: cdn, commit: h.get('x-repo-commit') ?? undefined };
  }
  throw new JambaUserError(`${ctx.repo}/${ctx.file}: too many redirects from the Hub`);
}
