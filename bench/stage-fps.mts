// Stage frame rate: the presenter view in Debian's Chromium (software WebGL, SwiftShader) during a
// real lab hop, at 1280x720 and 1920x1080, with the lab running on the same 2 cores. Prints, beside
// the target (>= 30 fps while the globe animates): frames per second while it animates (frames
// closer than 250 ms to the previous one form an animation; the globe renders on demand, so idle
// time has no frames to count), how many frames the idle page drew per second (0 = on demand), and
// the page's CPU per second idle and during the hop (CDP TaskDuration). A benchmark, not a test:
// root + lab only (skipped with the reason elsewhere); nothing else may use the lab meanwhile.
import { existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { chromium, type CDPSession, type Page } from 'playwright-core'
import { labResetGame } from '../lab/testing'
import { labDown, labRequirements, labStatus, labTourPath, labUp } from '../lab/index'
import { Engine } from '../src/core/engine'
import { serve } from '../src/server/serve'

const ROOT = path.resolve(import.meta.dirname, '..')
const TARGET_FPS = 30
const GAP_MS = 250
const CHROMIUM = process.env.GLOBEHOP_CHROMIUM ?? '/usr/bin/chromium'
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--enable-unsafe-swiftshader']
const SIZES = [
  { width: 1280, height: 720 },
  { width: 1920, height: 1080 },
]

const why = labRequirements()
if (why) {
  console.log(`stage fps: skipped, the lab cannot run here: ${why}`)
  process.exit(0)
}
const rendererDir = path.join(ROOT, 'out', 'renderer')
if (!existsSync(path.join(rendererDir, 'index.html'))) {
  const b = spawnSync('npx', ['electron-vite', 'build'], { cwd: ROOT, stdio: 'inherit' })
  if (b.status !== 0) throw new Error('electron-vite build failed')
}

/** Frame times the globe reports (its data-frames attribute counts rendered frames). */
async function watchFrames(page: Page): Promise<void> {
  // A string: this runs in the page (DOM types are not in the bench's typecheck).
  await page.evaluate(`(() => {
    const el = document.querySelector('[data-testid="globe"]')
    window.__frameTimes = []
    new MutationObserver(() => window.__frameTimes.push(performance.now())).observe(el, { attributes: true, attributeFilter: ['data-frames'] })
  })()`)
}

async function takeFrames(page: Page): Promise<number[]> {
  return (await page.evaluate('window.__frameTimes.splice(0)')) as number[]
}

/** Frames per second inside animations: runs of frames less than GAP_MS apart. */
function animatedFps(times: number[]): { fps: number; frames: number; seconds: number } {
  let frames = 0
  let ms = 0
  for (let i = 1; i < times.length; i++) {
    const d = times[i]! - times[i - 1]!
    if (d < GAP_MS) {
      frames++
      ms += d
    }
  }
  return { fps: ms > 0 ? (frames * 1000) / ms : 0, frames, seconds: ms / 1000 }
}

async function taskSeconds(cdp: CDPSession): Promise<number> {
  const { metrics } = await cdp.send('Performance.getMetrics')
  return metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN
}

const wasUp = (await labStatus())?.up === true
if (!wasUp) await labUp({ onProgress: (l) => console.log(`  [lab] ${l}`) })
await labResetGame()
const engine = new Engine({ host: 'browser', version: 'bench' })
await engine.loadTour(labTourPath())
const server = await serve({ engine, rendererDir, port: 0 })
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
const rows: string[] = []
try {
  await engine.handle('connect', {})
  let at = 'stuttgart'
  for (const size of SIZES) {
    const page = await browser.newPage({ viewport: size })
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Performance.enable')
    const [base, hash] = server.url.split('#')
    await page.goto(`${base}?view=presenter#${hash}`)
    await page.locator('[data-app-state="ready"][data-view="presenter"]').waitFor({ timeout: 30_000 })
    const detail = await page.getByTestId('globe').getAttribute('data-detail')
    await page.waitForTimeout(4000) // the first camera move and the ping strip settle
    await watchFrames(page)
    const idleCpu0 = await taskSeconds(cdp)
    await page.waitForTimeout(5000)
    const idleFrames = (await takeFrames(page)).length / 5
    const idleCpu = ((await taskSeconds(cdp)) - idleCpu0) / 5

    const to = at === 'stuttgart' ? 'strasbourg' : 'stuttgart'
    const cpu0 = await taskSeconds(cdp)
    const t0 = Date.now()
    const r = await engine.handle('hop', { to, mode: 'pre-copy' })
    await page.waitForTimeout(2000) // the arrival and the camera settling
    const hopSeconds = (Date.now() - t0) / 1000
    const hopCpu = ((await taskSeconds(cdp)) - cpu0) / hopSeconds
    const anim = animatedFps(await takeFrames(page))
    if (!r.ok) throw new Error(`the ${at} -> ${to} hop failed: ${r.error}`)
    at = to
    const verdict = anim.fps >= TARGET_FPS ? 'meets' : 'BELOW'
    rows.push(
      `${`${size.width}x${size.height}`.padEnd(10)} ${anim.fps.toFixed(1).padStart(6)} fps animating (${anim.frames} frames in ${anim.seconds.toFixed(1)} s of a ${hopSeconds.toFixed(1)} s hop)  target >= ${TARGET_FPS}: ${verdict}` +
        ` | idle ${idleFrames.toFixed(1)} frames/s, page CPU ${(idleCpu * 1000).toFixed(0)} ms/s idle, ${(hopCpu * 1000).toFixed(0)} ms/s during the hop | detail ${detail ?? '?'}`,
    )
    await page.close()
  }
} finally {
  await browser.close()
  await server.close()
  await engine.close()
  await labResetGame()
  if (!wasUp) await labDown()
}
console.log('presenter view, software WebGL, lab running (pre-copy Stuttgart <-> Strasbourg):')
for (const r of rows) console.log(`  ${r}`)
