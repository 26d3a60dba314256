// What every command that shows the app in a browser needs: the built renderer (built on first
// use), and the printed address opened where the machine has a browser opener (serve, open, replay).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'

export const ROOT = path.resolve(import.meta.dirname, '../..')
export const RENDERER_DIR = path.join(ROOT, 'out', 'renderer')

/** Builds the renderer when it is missing; the build's exit code (0 when there was nothing to do). */
export async function ensureRendererBuilt(): Promise<number> {
  if (existsSync(path.join(RENDERER_DIR, 'index.html'))) return 0
  console.error('globehop: building the renderer first (npm run build)…')
  return runInherit('npx', ['electron-vite', 'build'], ROOT)
}

/** Best effort: where no browser opener exists the printed URL is the way in. */
export function openBrowser(url: string): void {
  const p = spawn(process.platform === 'darwin' ? 'open' : 'xdg-open', [url], { stdio: 'ignore', detached: true })
  p.on('error', () => {})
  p.unref()
}

export function runInherit(cmd: string, args: string[], cwd: string): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd, stdio: 'inherit' })
    p.on('error', (err) => {
      console.error(`globehop: cannot run ${cmd}: ${err.message}`)
      resolve(127)
    })
    p.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)))
  })
}
