// CRIU command lines the pipeline runs directly (checks and the post-copy lazy-pages daemon).

export const criuVersion = (): string[] => ['criu', '--version']
export const criuCheck = (): string[] => ['criu', 'check']
/** `mem_dirty_track` = soft-dirty (pre-dump); `uffd-noncoop` = lazy pages (post-copy). */
export const criuFeature = (feature: 'mem_dirty_track' | 'uffd-noncoop'): string[] => ['criu', 'check', '--feature', feature]

/**
 * Destination side of post-copy: connects to the source's page server and serves faults of the
 * restored tasks. `-D` is also its work dir, where it creates lazy-pages.socket that
 * `runc restore --lazy-pages` (without --work-path) finds.
 */
export function criuLazyPages(a: { imageDir: string; address: string; port: number; logFile: string }): string[] {
  return ['criu', 'lazy-pages', '--page-server', '--address', a.address, '--port', String(a.port), '--images-dir', a.imageDir, '--log-file', a.logFile, '-v4']
}

/** `Version: 4.2.1` -> [4, 2, 1]. */
export function parseCriuVersion(out: string): number[] | null {
  const m = /Version:\s*(\d+)\.(\d+)(?:\.(\d+))?/.exec(out)
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null
}

/** `runc version 1.3.6` -> '1.3.6'. */
export function parseRuncVersion(out: string): string | null {
  return /runc version (\S+)/.exec(out)?.[1] ?? null
}
