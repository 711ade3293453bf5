/**
 * Hub model references and the files a model needs: pure functions, no I/O.
 *
 * A reference is `owner/name`, `owner/name@revision`, or a GGUF file in a repo: `owner/name/file.gguf`
 * or `owner/name@revision/file.gguf` (in that form the revision can't contain '/': use `--file` for a
 * revision like `refs/pr/1`). Repo-name rules follow the Hub's (huggingface_hub's validate_repo_id):
 * letters, digits, '-', '_', '.', no '--' or '..', at most 96 characters.
 */
import { JambaUserError } from '../errors.js';

export interface RepoRef {
  /** 'owner/name' */
  repo: string;
  /** A branch, tag or commit hash; 'main' when not given. */
  revision: string;
  /** A single file to fetch (a .gguf) instead of the model's HF files. */
  file?: string;
}

const PART = '[A-Za-z0-9][A-Za-z0-9._-]*';
const WITH_FILE = new RegExp(`^(${PART})/(${PART})(?:@([^/@\\s]+))?/([^@\\s]+\\.gguf)$`, 'i');
const PLAIN = new RegExp(`^(${PART})/(${PART})(?:@([^@\\s]+))?$`);

function validName(s: string): boolean {
  return s.length <= 96 && !s.includes('--') && !s.includes('..') && !/[.-]$/.test(s);
}

/** Parses a reference; undefined when it isn't one. */
export function parseRepoRef(ref: string): RepoRef | undefined {
  let m = WITH_FILE.exec(ref);
  let file: string | undefined;
  if (m) {
    file = m[4]!;
    if (file.split('/').some((p) => p === '' || p === '.' || p === '..')) return undefined;
  } else {
    m = PLAIN.exec(ref);
    if (!m) return undefined;
    // A two-part path ending in a model-file extension ('models/x.gguf') is a local path, not a repo.
    if (/\.(gguf|safetensors|bin|json)$/i.test(m[2]!)) return undefined;
  }
  const [owner, name, revision] = [m[1]!, m[2]!, m[3]];
  if (!validName(owner) || !validName(name)) return undefined;
  return { repo: `${owner}/${name}`, revision: revision ?? 'main', ...(file ? { file } : {}) };
}

/** True when `ref` reads as a Hub repo id (callers check that it isn't an existing path first). */
export function looksLikeRepoId(ref: string): boolean {
  return parseRepoRef(ref) !== undefined;
}

/** Parses or throws a user error naming the expected forms. */
export function requireRepoRef(ref: string): RepoRef {
  const r = parseRepoRef(ref);
  if (!r) throw new JambaUserError(`'${ref}' is not a Hugging Face repo id (expected owner/name[@revision] or owner/name[@revision]/file.gguf)`);
  return r;
}

/** Top-level files (and chat-template folders) a model needs besides its weights. */
const AUX_FILES = new Set([
  'config.json', 'generation_config.json',
  'tokenizer.json', 'tokenizer_config.json', 'tokenizer.model', 'special_tokens_map.json', 'added_tokens.json',
  'vocab.json', 'merges.txt', 'chat_template.json', 'chat_template.jinja',
]);
export const SAFETENSORS_INDEX = 'model.safetensors.index.json';

export interface ModelFilePlan {
  /** Files to fetch now (the index, if any, comes first). */
  files: string[];
  /** True when the weights are sharded: the shards are those named in the index's weight_map. */
  sharded: boolean;
}

/**
 * Picks what a model needs from a repo's file list: config, tokenizer and chat-template files, and the
 * safetensors weights. With an index, only the shards it names are fetched (some repos also carry a
 * consolidated copy); without one, the top-level `*.safetensors`. Never README, .bin/.pth/.gguf or
 * other folders' files.
 */
export function planModelFiles(repo: string, revision: string, all: readonly string[]): ModelFilePlan {
  const aux = all.filter((f) => AUX_FILES.has(f) || /^additional_chat_templates\/[^/]+\.jinja$/.test(f));
  if (!all.includes('config.json')) {
    const ggufs = all.filter((f) => f.toLowerCase().endsWith('.gguf'));
    if (ggufs.length) {
      throw new JambaUserError(`${repo}@${revision} holds GGUF files, not a Hugging Face model folder: pick one with ${repo}/<file>.gguf or --file (${ggufs.slice(0, 6).join(', ')}${ggufs.length > 6 ? ', …' : ''})`);
    }
    throw new JambaUserError(`${repo}@${revision} has no config.json: not a Hugging Face model repo`);
  }
  if (all.includes(SAFETENSORS_INDEX)) return { files: [SAFETENSORS_INDEX, ...aux], sharded: true };
  const weights = all.filter((f) => !f.includes('/') && f.endsWith('.safetensors'));
  if (weights.length === 0) throw new JambaUserError(`${repo}@${revision} has no .safetensors weights (other weight formats are not supported)`);
  return { files: [...aux, ...weights], sharded: false };
}

/** The shard files named by a `model.safetensors.index.json` text, checked against the repo's files. */
export function shardsOfIndex(repo: string, indexText: string, all: readonly string[]): string[] {
  let j: { weight_map?: unknown };
  try {
    j = JSON.parse(indexText) as { weight_map?: unknown };
  } catch (e) {
    throw new JambaUserError(`${repo}: ${SAFETENSORS_INDEX} is not valid JSON (${(e as Error).message})`);
  }
  if (typeof j.weight_map !== 'object' || j.weight_map === null) throw new JambaUserError(`${repo}: ${SAFETENSORS_INDEX} has no 'weight_map'`);
  const shards = [...new Set(Object.values(j.weight_map as Record<string, unknown>).map(String))].sort();
  for (const s of shards) {
    if (!all.includes(s)) throw new JambaUserError(`${repo}: ${SAFETENSORS_INDEX} names ${s}, which is not in the repo`);
  }
  return shards;
}
