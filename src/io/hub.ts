/**
 * Hub repo id → local snapshot in the Hugging Face cache (what `jamba pull` and `--model owner/name`
 * use). Like huggingface_hub's snapshot_download, but fetching only what a model needs (io/hub-ref):
 *
 *   1. revision → commit and the repo's file list: @huggingface/hub's modelInfo
 *      (GET {HF_ENDPOINT}/api/models/{repo}/revision/{rev}); refs/<revision> records the answer;
 *   2. per missing file: HEAD of {HF_ENDPOINT}/{repo}/resolve/{commit}/{file} for ETag and size
 *      (io/hub-http: plain fetch, see there why);
 *   3. bytes into blobs/<etag> through a resumable .incomplete file (io/hub-download), then
 *      snapshots/<commit>/<file> → ../../blobs/<etag> (io/hub-cache).
 *
 * HF_HUB_OFFLINE=1 skips 1–3 and reads the cache only; when the Hub can't be reached at all, a complete
 * cached snapshot is used with a warning (as huggingface_hub does). Cache paths come from
 * @huggingface/hub (getHFHubCachePath, getRepoFolderName), so Python tools and we share one cache.
 * Not done: the .locks/ file locks huggingface_hub takes against two processes fetching one blob.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HubApiError, modelInfo } from '@huggingface/hub';
import { JambaUserError } from '../errors.js';
import { blobPath, cachedCommit, COMMIT_RE, hasSnapshotFile, linkSnapshotFile, missingModelFiles, repoDir, snapshotDir, writeRef } from './hub-cache.js';
import { downloadBlob, type DownloadJob } from './hub-download.js';
import { hubSettings, type HubSettings } from './hub-env.js';
import { fileMetadata, hubError, HubNetworkError, libraryFetch, type HubErrorContext } from './hub-http.js';
import { createProgress, type ProgressOptions } from './hub-progress.js';
import { planModelFiles, requireRepoRef, SAFETENSORS_INDEX, shardsOfIndex, type RepoRef } from './hub-ref.js';

export { looksLikeRepoId, parseRepoRef } from './hub-ref.js';

export interface PullOptions {
  /** One file to fetch (a .gguf) instead of the model's HF files; same as `owner/name/file.gguf`. */
  file?: string;
  /** Environment to read HF_* settings from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where the progress bar goes (default stderr; drawn only on a terminal). */
  progress?: ProgressOptions['stream'];
  /** Further tries of a broken transfer (default 5), and the pause before the first (default 250 ms). */
  retries?: number;
  backoffMs?: number;
  /** Added to 'not found' messages (the model loader says no local path of that name exists either). */
  notFoundHint?: string;
  /** Warnings (default: one line on stderr). */
  warn?: (line: string) => void;
}

export interface PulledModel {
  repo: string;
  revision: string;
  commit: string;
  /** snapshots/<commit> in the cache. */
  snapshot: string;
  /** What to load: the snapshot folder, or the requested file inside it. */
  path: string;
  /** Files fetched by this call (already-cached ones are not listed). */
  downloaded: string[];
}

function withFile(r: RepoRef, file: string | undefined): RepoRef {
  if (file === undefined) return r;
  if (r.file && r.file !== file) throw new JambaUserError(`two files asked for: ${r.file} (in the repo id) and --file ${file}`);
  if (file === '' || file.startsWith('/') || file.split(/[\\/]/).some((p) => p === '..' || p === '.' || p === '')) {
    throw new JambaUserError(`--file must be a relative path inside the repo, got '${file}'`);
  }
  return { ...r, file };
}

function result(r: RepoRef, dir: string, commit: string, downloaded: string[]): PulledModel {
  const snapshot = snapshotDir(dir, commit);
  return { repo: r.repo, revision: r.revision, commit, snapshot, path: r.file ? join(snapshot, r.file) : snapshot, downloaded };
}

/** The cached snapshot for a revision, or a user error saying why it can't be used. */
function fromCache(s: HubSettings, dir: string, r: RepoRef, why: string, hint = ''): PulledModel {
  const at = `${r.repo}@${r.revision}${hint}`;
  const commit = cachedCommit(dir, r.revision);
  if (!commit) throw new JambaUserError(`${at} is not in the Hugging Face cache (${s.cacheDir}) and ${why}`);
  const snap = snapshotDir(dir, commit);
  const missing = r.file ? (existsSync(join(snap, r.file)) ? undefined : r.file) : missingModelFiles(snap);
  if (missing) throw new JambaUserError(`${at}: the cached snapshot ${snap} lacks ${missing} and ${why}`);
  return result(r, dir, commit, []);
}

interface Ctx { s: HubSettings; dir: string; commit: string; err: HubErrorContext; opts: PullOptions }

/** Makes snapshots/<commit>/<file> exist for each file, downloading what no blob holds yet. */
async function fetchFiles(c: Ctx, files: readonly string[], showProgress: boolean): Promise<string[]> {
  const jobs: DownloadJob[] = [];
  for (const file of files) {
    if (hasSnapshotFile(c.dir, c.commit, file)) continue;
    const meta = await fileMetadata(c.s, { ...c.err, revision: c.commit, file });
    const blob = blobPath(c.dir, meta.etag);
    if (existsSync(blob) && statSync(blob).size === meta.size) linkSnapshotFile(c.dir, c.commit, file, meta.etag);
    else jobs.push({ file, url: meta.url, etag: meta.etag, size: meta.size, blob });
  }
  const total = jobs.reduce((a, j) => a + j.size, 0);
  const already = jobs.reduce((a, j) => a + Math.min(j.size, statSync(`${j.blob}.incomplete`, { throwIfNoEntry: false })?.size ?? 0), 0);
  const bar = createProgress(total, already, { stream: c.opts.progress, disabled: !showProgress || c.s.progressDisabled, label: c.err.repo });
  try {
    for (const job of jobs) {
      bar.file(job.file);
      await downloadBlob(c.s, { ...c.err, revision: c.commit, file: job.file }, job, { retries: c.opts.retries, backoffMs: c.opts.backoffMs, onBytes: (d) => bar.add(d) });
      linkSnapshotFile(c.dir, c.commit, job.file, job.etag);
    }
  } finally {
    bar.done();
  }
  return jobs.map((j) => j.file);
}

/** Resolves and downloads (what is missing of) a model or one file of a Hub repo into the cache. */
export async function pullModel(ref: string, opts: PullOptions = {}): Promise<PulledModel> {
  const r = withFile(requireRepoRef(ref), opts.file);
  const s = hubSettings(opts.env);
  const dir = repoDir(s.cacheDir, r.repo);
  const err: HubErrorContext = { repo: r.repo, revision: r.revision, notFoundHint: opts.notFoundHint };
  if (s.offline) return fromCache(s, dir, r, 'HF_HUB_OFFLINE is set (unset it to download)', opts.notFoundHint);

  const lf = libraryFetch(s);
  let commit: string;
  let all: string[];
  try {
    const info = await modelInfo({ name: r.repo, revision: r.revision, hubUrl: s.endpoint, additionalFields: ['sha', 'filePaths'], fetch: lf.fetch });
    commit = info.sha;
    all = info.filePaths ?? [];
  } catch (e) {
    if (e instanceof HubNetworkError) {
      let cached: PulledModel;
      try {
        cached = fromCache(s, dir, r, e.message);
      } catch {
        throw new HubNetworkError(e.endpoint, e.cause, `${r.repo}${opts.notFoundHint ?? ''}: `);
      }
      (opts.warn ?? ((l) => process.stderr.write(`jamba: warning: ${l}\n`)))(`${e.message}; using the cached snapshot ${cached.snapshot}`);
      return cached;
    }
    if (e instanceof HubApiError) throw hubError(s, e.statusCode, lf.errorCode(), err, e.message.split('. URL:')[0]);
    throw e;
  }
  if (typeof commit !== 'string' || !COMMIT_RE.test(commit)) throw new JambaUserError(`${r.repo}@${r.revision}: the Hub's model info has no commit hash ('sha')`);
  writeRef(dir, r.revision, commit);
  const c: Ctx = { s, dir, commit, err, opts };

  if (r.file) {
    if (!all.includes(r.file)) {
      const ggufs = all.filter((f) => f.toLowerCase().endsWith('.gguf'));
      throw new JambaUserError(`${r.repo}@${r.revision}: no file ${r.file} in the repo${ggufs.length ? ` (GGUF files: ${ggufs.slice(0, 8).join(', ')})` : ''}`);
    }
    return result(r, dir, commit, await fetchFiles(c, [r.file], true));
  }
  const plan = planModelFiles(r.repo, r.revision, all);
  const downloaded: string[] = [];
  let files = plan.files;
  if (plan.sharded) {
    downloaded.push(...await fetchFiles(c, [SAFETENSORS_INDEX], false));
    const index = readFileSync(join(snapshotDir(dir, commit), SAFETENSORS_INDEX), 'utf8');
    files = [...plan.files.filter((f) => f !== SAFETENSORS_INDEX), ...shardsOfIndex(r.repo, index, all)];
  }
  downloaded.push(...await fetchFiles(c, files, true));
  return result(r, dir, commit, downloaded);
}

/** For model loading: a repo id → the local folder (or .gguf file) to open, downloading as needed. */
export async function resolveModelRef(ref: string, opts: PullOptions = {}): Promise<string> {
  return (await pullModel(ref, { notFoundHint: ' (and no local folder or file of that name exists)', ...opts })).path;
}
