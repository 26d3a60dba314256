// Which code `globehop` runs: the bundle `npm run build` writes to out/cli/ when it is there and no
// source it was built from is newer (a fresh clone, or an edit since the build, runs the TypeScript
// sources through tsx instead, so the CLI is never older than the tree). GLOBEHOP_CLI=source
// forces the sources, GLOBEHOP_CLI=build the bundle.
import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'

/** What the CLI bundle is built from: the folders it imports and the package.json it inlines. */
export const CLI_SOURCES = ['src/cli', 'src/core', 'src/server', 'src/shared', 'lab', 'package.json']
export const CLI_BUNDLE = 'out/cli/main.mjs'

/** The newest modification time (ms) of a file or of anything under a folder, folders included (a removed file changes its folder's). */
export function newestMtime(p) {
  let st
  try {
    st = statSync(p)
  } catch {
    return 0
  }
  let newest = st.mtimeMs
  if (st.isDirectory()) {
    for (const e of readdirSync(p, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue
      newest = Math.max(newest, e.isDirectory() ? newestMtime(path.join(p, e.name)) : statSync(path.join(p, e.name), { throwIfNoEntry: false })?.mtimeMs ?? 0)
    }
  }
  return newest
}

/** The bundle's path when it should run, else null (run the sources). */
export function builtEntry(root, env = process.env) {
  const bundle = path.join(root, CLI_BUNDLE)
  if (env.GLOBEHOP_CLI === 'source') return null
  const built = statSync(bundle, { throwIfNoEntry: false })?.mtimeMs
  if (built === undefined) {
    if (env.GLOBEHOP_CLI === 'build') throw new Error(`GLOBEHOP_CLI=build but ${CLI_BUNDLE} is missing: run npm run build`)
    return null
  }
  if (env.GLOBEHOP_CLI === 'build') return bundle
  const sources = Math.max(...CLI_SOURCES.map((s) => newestMtime(path.join(root, s))))
  return sources <= built ? bundle : null
}
