/**
 * The Hugging Face cache layout, shared with Python tools (huggingface_hub file_download.py; the Hub's
 * "local cache" reference):
 *
 *   <cache>/models--owner--name/
 *     blobs/<etag>                 file contents, named by the Hub's ETag (sha256 for LFS files,
 *                                  git blob sha1 otherwise); `<etag>.incomplete` while downloading
 *     refs/<revision>              the commit hash a branch or tag pointed at when last resolved
 *     snapshots/<commit>/<path>    relative symlinks to ../../blobs/<etag>
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { getRepoFolderName } from '@huggingface/hub';
import { SAFETENSORS_INDEX } from './hub-ref.js';

export const COMMIT_RE = /^[0-9a-f]{40}$/;

export function repoDir(cacheDir: string, repo: string): string {
  return join(cacheDir, getRepoFolderName({ type: 'model', name: repo }));
}

export function blobPath(dir: string, etag: string): string {
  return join(dir, 'blobs', etag);
}

export function snapshotDir(dir: string, commit: string): string {
  return join(dir, 'snapshots', commit);
}

/** The commit a revision resolves to in the cache, if known (a commit hash with a snapshot, or refs/<rev>). */
export function cachedCommit(dir: string, revision: string): string | undefined {
  if (COMMIT_RE.test(revision) && existsSync(snapshotDir(dir, revision))) return revision;
  const ref = join(dir, 'refs', revision);
  if (!existsSync(ref)) return undefined;
  const c = readFileSync(ref, 'utf8').trim();
  return COMMIT_RE.test(c) ? c : undefined;
}

export function writeRef(dir: string, revision: string, commit: string): void {
  if (revision === commit) return;
  const ref = join(dir, 'refs', revision);
  mkdirSync(dirname(ref), { recursive: true });
  writeFileSync(ref, commit);
}

/** Points snapshots/<commit>/<file> at the blob by a relative symlink (a copy where symlinks are refused). */
export function linkSnapshotFile(dir: string, commit: string, file: string, etag: string): string {
  const pointer = join(snapshotDir(dir, commit), file);
  const blob = blobPath(dir, etag);
  mkdirSync(dirname(pointer), { recursive: true });
  if (lstatSync(pointer, { throwIfNoEntry: false })) rmSync(pointer);
  try {
    symlinkSync(relative(dirname(pointer), blob), pointer);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    copyFileSync(blob, pointer);
  }
  return pointer;
}

/** True when snapshots/<commit>/<file> resolves to an existing file. */
export function hasSnapshotFile(dir: string, commit: string, file: string): boolean {
  return existsSync(join(snapshotDir(dir, commit), file));
}

/**
 * What a cached snapshot lacks to be loaded as a model (config.json and safetensors weights, every
 * shard of an index), or undefined when complete. Used offline, where no file list can be asked for.
 */
export function missingModelFiles(snapshot: string): string | undefined {
  if (!existsSync(join(snapshot, 'config.json'))) return 'config.json';
  const index = join(snapshot, SAFETENSORS_INDEX);
  if (existsSync(index)) {
    let map: Record<string, string>;
    try {
      map = (JSON.parse(readFileSync(index, 'utf8')) as { weight_map: Record<string, string> }).weight_map;
    } catch {
      return `a readable ${SAFETENSORS_INDEX}`;
    }
    const lacking = [...new Set(Object.values(map))].filter((s) => !existsSync(join(snapshot, s)));
    return lacking.length ? lacking.join(', ') : undefined;
  }
  return readdirSync(snapshot).some((f) => f.endsWith('.safetensors') && existsSync(join(snapshot, f))) ? undefined : '*.safetensors weights';
}
