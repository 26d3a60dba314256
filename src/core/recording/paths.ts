// Where recordings live and what their files are called.
import os from 'node:os'
import path from 'node:path'

/** `$GLOBEHOP_RECORDINGS_DIR` (tests), else `$XDG_DATA_HOME/globehop/recordings`, else ~/.local/share/globehop/recordings. */
export function recordingsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GLOBEHOP_RECORDINGS_DIR) return env.GLOBEHOP_RECORDINGS_DIR
  const base = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share')
  return path.join(base, 'globehop', 'recordings')
}

/** The tour's name as a file-name part: lower-case letters, digits and dashes only. */
export function tourSlug(name: string): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '')
  return slug || 'tour'
}

const two = (n: number) => String(n).padStart(2, '0')

/** `<YYYYMMDD-HHMMSS>-<tour-slug>` in local time (what a person browsing the folder expects); `-N` on a clash. */
export function recordingBase(startedAt: number, tourName: string, clash = 1): string {
  const d = new Date(startedAt)
  const stamp = `${d.getFullYear()}${two(d.getMonth() + 1)}${two(d.getDate())}-${two(d.getHours())}${two(d.getMinutes())}${two(d.getSeconds())}`
  return `${stamp}-${tourSlug(tourName)}${clash > 1 ? `-${clash}` : ''}`
}

/** The asciicast file of one host's remote output, beside the recording. */
export function castFile(recordingFile: string, host: string): string {
  const base = recordingFile.replace(/\.jsonl$/, '')
  // Host names are tour-checked, but log lines also carry pseudo-hosts (e.g. "recover").
  return `${base}.${host.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 63) || 'host'}.cast`
}
