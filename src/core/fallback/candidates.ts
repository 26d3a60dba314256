// Where the stage fallback looks for a recording of the live tour: the user's own good runs first
// (newest first), then the recordings shipped with globehop (the lab tour's).
import { goodRecordingsOf } from '../recording/catalog'
import { recordingsDir } from '../recording/paths'
import { resourcePath } from '../tour/default'

/** Recording folders in the order they are searched. */
export function fallbackDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs = [recordingsDir(env)]
  try {
    dirs.push(resourcePath('recordings'))
  } catch {
    // A build without resources/: the user's own recordings only.
  }
  return dirs
}

export function fallbackCandidates(dirs: string[]): (tourName: string) => string[] {
  return (tourName) => dirs.flatMap((d) => goodRecordingsOf(d, tourName).map((e) => e.file))
}
