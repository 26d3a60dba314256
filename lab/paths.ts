// Where the lab keeps things: a reusable build cache and per-run state under /run.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { labRunDir } from '../src/core/tour/lab-tour-path'

export const DEFAULT_CACHE_DIR = '/var/cache/globehop-lab'

export function resolveCacheDir(explicit?: string): string {
  return path.resolve(explicit ?? process.env.GLOBEHOP_LAB_CACHE ?? DEFAULT_CACHE_DIR)
}

/** Runtime state: state.json, tour, keys copy, per-host overlay layers (tmpfs), logs. */
export const runDir = labRunDir

export const statePath = (): string => path.join(runDir(), 'state.json')

/** The repository's lab/ folder (templates, delay line source, machine scripts). */
export function labAssetDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = path.join(dir, 'lab', 'delayline.c')
    if (existsSync(candidate)) return path.dirname(candidate)
    const up = path.dirname(dir)
    if (up === dir) throw new Error('cannot find the lab/ assets folder (lab/delayline.c) above ' + fileURLToPath(import.meta.url))
    dir = up
  }
}

/** Layout of the cache directory. */
export function cacheLayout(cache: string) {
  return {
    root: cache,
    /** Debian forky tree: criu, runc, sshd, keepalived, rsync (shared lower layer). */
    hostRoot: path.join(cache, 'hostroot'),
    /** Lower layer holding the game bundle at BUNDLE_PATH. */
    bundleLayer: path.join(cache, 'bundle-layer'),
    delayline: path.join(cache, 'bin', 'delayline'),
    /** Lab key pair and per-host ssh host keys: stable across `lab up`s, so known_hosts is too. */
    keys: path.join(cache, 'keys'),
  }
}
