/**
 * Hub settings from the environment, with the names and meanings of Hugging Face's own tools
 * (huggingface_hub/constants.py): HF_ENDPOINT, HF_HUB_CACHE / HF_HOME, HF_TOKEN /
 * HUGGING_FACE_HUB_TOKEN / the token file, HF_HUB_OFFLINE, HF_HUB_ETAG_TIMEOUT,
 * HF_HUB_DOWNLOAD_TIMEOUT, HF_HUB_DISABLE_PROGRESS_BARS.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { getHFHubCachePath } from '@huggingface/hub';

export interface HubSettings {
  /** The Hub's base URL, no trailing slash. */
  endpoint: string;
  /** The cache root (holds models--owner--name folders). */
  cacheDir: string;
  token: string | undefined;
  offline: boolean;
  /** Seconds to wait for a metadata answer (model info, HEAD of a file). */
  etagTimeoutS: number;
  /** Seconds a download may go without receiving a byte. */
  downloadTimeoutS: number;
  progressDisabled: boolean;
}

/** huggingface_hub's `_is_true`. */
export function isTrue(v: string | undefined): boolean {
  return v !== undefined && ['1', 'ON', 'YES', 'TRUE'].includes(v.toUpperCase());
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p;
}

function seconds(v: string | undefined, dflt: number): number {
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) && n > 0 ? n : dflt;
}

function hfHome(env: NodeJS.ProcessEnv): string {
  return expandHome(env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface'));
}

/** HF_TOKEN, then HUGGING_FACE_HUB_TOKEN, then the file `huggingface-cli login` writes ($HF_TOKEN_PATH or $HF_HOME/token). */
function findToken(env: NodeJS.ProcessEnv): string | undefined {
  const fromEnv = (env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN)?.trim();
  if (fromEnv) return fromEnv;
  const file = expandHome(env.HF_TOKEN_PATH ?? join(hfHome(env), 'token'));
  try {
    if (existsSync(file)) return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    // an unreadable token file is the same as none
  }
  return undefined;
}

export function hubSettings(env: NodeJS.ProcessEnv = process.env): HubSettings {
  // @huggingface/hub resolves the cache root exactly as huggingface_hub does (HF_HUB_CACHE,
  // HUGGINGFACE_HUB_CACHE, HF_HOME/hub, XDG_CACHE_HOME/huggingface/hub, ~/.cache/huggingface/hub);
  // it reads process.env, so another env object only gets its own HF_HUB_CACHE / HF_HOME honoured here.
  const cacheDir = env === process.env
    ? getHFHubCachePath()
    : env.HF_HUB_CACHE ?? env.HUGGINGFACE_HUB_CACHE ?? join(hfHome(env), 'hub');
  return {
    endpoint: (env.HF_ENDPOINT?.trim() || 'https://huggingface.co').replace(/\/+$/, ''),
    cacheDir: expandHome(cacheDir),
    token: findToken(env),
    offline: isTrue(env.HF_HUB_OFFLINE || env.TRANSFORMERS_OFFLINE),
    etagTimeoutS: seconds(env.HF_HUB_ETAG_TIMEOUT, 10),
    downloadTimeoutS: seconds(env.HF_HUB_DOWNLOAD_TIMEOUT, 10),
    progressDisabled: isTrue(env.HF_HUB_DISABLE_PROGRESS_BARS),
  };
}
