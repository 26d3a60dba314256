// Soak: a looping lab tour for GLOBEHOP_SOAK_MINUTES minutes (default 30; 0 skips), one hop about
// every 30 s back and forth between Stuttgart and Strasbourg, modes taking turns (stop-and-copy,
// pre-copy, post-copy), driven through the browser host (`globehop serve`, its own process) while
// the app's page stays open in headless Chromium. Prints, side by side for the start and the end:
// hops ok, the client's outage per hop, the engine process's RSS, its SSH connections and the
// page's JS heap, with end/start ratios ("flat" = about 1). A benchmark, not a test: it fails only
// when it cannot run. Root + lab only (skipped with the reason elsewhere). The lab is one per machine:
// run `npm run bench` (or this file alone) while nothing else uses it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core'
import WebSocket from 'ws'
import { labResetGame } from '../lab/testing'
import { labDown, labLink, labRequirements, labStatus, labTourPath, labUp, type LinkSettings } from '../lab/index'
import { readState } from '../lab/state'
import type { CommandArgs, CommandName, CommandResult, HopResult, Outage } from '../src/shared/contract'
import type { Mode } from '../src/shared/tour'
import { WS_PATH, WS_PROTOCOL, WS_TOKEN_PREFIX, type ServerMessage } from '../src/shared/wire'

const ROOT = path.resolve(import.meta.dirname, '..')
const HOP_EVERY_MS = 30_000
/** Even after a slow hop: a few seconds of replies before the next freeze, the prober's baseline. */
const MIN_GAP_MS = 5_000
const HOSTS = ['stuttgart', 'strasbourg'] as const
// The same Chromium as the e2e `web` project (playwright.config.ts).
const CHROMIUM = process.env.GLOBEHOP_CHROMIUM ?? '/usr/bin/chromium'
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--enable-unsafe-swiftshader']

const rawMinutes = process.env.GLOBEHOP_SOAK_MINUTES
const minutes = rawMinutes === undefined || rawMinutes.trim() === '' ? 30 : Number(rawMinutes)
if (!Number.isFinite(minutes) || minutes < 0) {
  console.error(`soak: GLOBEHOP_SOAK_MINUTES="${rawMinutes}" is not a number of minutes (0 skips the soak)`)
  process.exit(1)
}
if (minutes === 0) {
  console.log('soak: skipped (GLOBEHOP_SOAK_MINUTES=0)')
  process.exit(0)
}
const why = labRequirements()
if (why) {
  console.log(`soak: skipped, the lab cannot run here: ${why}`)
  process.exit(0)
}

// ---------- measurements ----------

interface Snapshot {
  at: number
  rssBytes: number
  /** Established TCP connections of the serve process to port 22 (one per connected host). */
  ssh: number
  /** Every established TCP connection of the serve process (SSH plus the WebSocket clients). */
  tcp: number
  fds: number
  heapBytes: number
  domNodes: number
  listeners: number
}

function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return Number(m[1]) * 1024
}

/** The process's own sockets (by inode) matched against its network namespace's TCP table. */
function connections(pid: number): { ssh: number; tcp: number; fds: number } {
  const inodes = new Set<string>()
  let fds = 0
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    fds++
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (m) inodes.add(m[1]!)
    } catch {
      // closed between the listing and the readlink
    }
  }
  let ssh = 0
  let tcp = 0
  for (const table of ['tcp', 'tcp6']) {
    let text: string
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8')
    } catch {
      continue
    }
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...; st 01 = ESTABLISHED
    for (const line of text.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/)
      if (c.length < 10 || c[3] !== '01' || !inodes.has(c[9]!)) continue
      tcp++
      if (parseInt(c[2]!.split(':')[1] ?? '', 16) === 22) ssh++
    }
  }
  return { ssh, tcp, fds }
}

/** The page's JS heap after a full collection, and its DOM nodes and event listeners. */
async function pageFigures(cdp: CDPSession): Promise<{ heapBytes: number; domNodes: number; listeners: number }> {
  await cdp.send('HeapProfiler.collectGarbage')
  const heap = await cdp.send('Runtime.getHeapUsage')
  const { metrics } = await cdp.send('Performance.getMetrics')
  const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? NaN
  return { heapBytes: heap.usedSize, domNodes: metric('Nodes'), listeners: metric('JSEventListeners') }
}

async function snapshot(pid: number, cdp: CDPSession): Promise<Snapshot> {
  const page = await pageFigures(cdp)
  return { at: Date.now(), rssBytes: rssBytes(pid), ...connections(pid), ...page }
}

// ---------- the browser host and its WebSocket ----------

/** The contract over the browser host's WebSocket, as the page speaks it (src/renderer/src/ws-api.ts). */
class EngineClient {
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  /** Every outage the engine reported, by its start: the last word on each (ended, which hop). */
  readonly outages = new Map<number, Outage>()

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as ServerMessage
      if (msg.type === 'event') {
        if (msg.event.name === 'outage') this.outages.set(msg.event.payload.startAt, msg.event.payload)
        return
      }
      const p = this.pending.get(msg.id)
      if (!p) return
      this.pending.delete(msg.id)
      if (msg.ok) p.resolve(msg.result)
      else p.reject(new Error(`${msg.error.code}: ${msg.error.message}`))
    })
    ws.on('close', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`the browser host's WebSocket closed (${code})`))
      this.pending.clear()
    })
  }

  static open(port: number, token: string): Promise<EngineClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${WS_PATH}`, [WS_PROTOCOL, WS_TOKEN_PREFIX + token])
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new EngineClient(ws)))
      ws.once('error', reject)
      ws.on('error', () => {})
    })
  }

  call<K extends CommandName>(command: K, args: CommandArgs<K>): Promise<CommandResult<K>> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.ws.send(JSON.stringify({ id, command, args }))
    })
  }

  close(): void {
    this.ws.close()
  }
}

interface Serve {
  child: ChildProcess
  pid: number
  port: number
  url: string
}

/** `globehop serve` on the lab's tour, with its own token, port and journal directory. */
async function startServe(token: string, stateDir: string): Promise<Serve> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'globehop.mjs'), 'serve', '--port', '0', '--tour', labTourPath()], {
    cwd: ROOT,
    env: { ...process.env, GLOBEHOP_TOKEN: token, GLOBEHOP_STATE_DIR: stateDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a Ctrl-C here ends the soak after the running hop, then stops it.
    detached: true,
  })
  createInterface({ input: child.stderr! }).on('line', (l) => console.error(`  [serve] ${l}`))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('globehop serve printed no address within 180 s')), 180_000)
    child.once('exit', (code, signal) => reject(new Error(`globehop serve exited (${code ?? signal}) before printing its address`)))
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const m = /^globehop: open (\S+)/.exec(l)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
  })
  return { child, pid: child.pid!, port: Number(new URL(url).port), url }
}

async function stopServe(s: Serve): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => s.child.once('exit', () => resolve()))
  s.child.kill('SIGINT')
  const timer = setTimeout(() => {
    console.error('soak: globehop serve did not exit 30 s after SIGINT: killing it')
    s.child.kill('SIGKILL')
  }, 30_000)
  await exited
  clearTimeout(timer)
}

function newestMtime(dir: string): number {
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }
  return newest
}

/** The page must be the renderer the sources say: rebuild out/ when it is older than them. */
function ensureRendererBuilt(): void {
  const index = path.join(ROOT, 'out', 'renderer', 'index.html')
  const built = existsSync(index) ? statSync(index).mtimeMs : 0
  if (built >= Math.max(newestMtime(path.join(ROOT, 'src', 'renderer')), newestMtime(path.join(ROOT, 'src', 'shared')))) return
  console.log('soak: out/renderer is older than src/: building it (electron-vite build)')
  const r = spawnSync('npx', ['electron-vite', 'build'], { cwd: ROOT, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`electron-vite build failed:\n${r.stdout}${r.stderr}`)
}

// ---------- formatting ----------

const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`
const secs = (ms: number | null | undefined) => (ms == null ? '-' : `${(ms / 1000).toFixed(2)} s`)
const clock = (t: number) => new Date(t).toISOString().slice(11, 19)
function median(xs: number[]): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
function ratio(end: number, start: number): string {
  if (!(start > 0)) return '-'
  const r = end / start
  return `${r.toFixed(2)}${r >= 0.9 && r <= 1.1 ? ' flat' : r > 1 ? ' grew' : ' shrank'}`
}
const row = (label: string, start: string, end: string, r = '') => console.log(`${label.padEnd(30)}${start.padEnd(38)}${end.padEnd(38)}${r}`)

interface HopRecord {
  n: number
  mode: Mode
  from: string
  to: string
  ok: boolean
  downtimeMs: number | null
  tookMs: number
  error?: string
}

function outageCell(hs: HopRecord[]): string {
  if (hs.length === 0) return '-'
  const d = hs.filter((h) => h.ok && h.downtimeMs != null).map((h) => h.downtimeMs!)
  const ok = hs.filter((h) => h.ok).length
  return `${ok}/${hs.length} ok, med ${secs(median(d))}, max ${secs(d.length ? Math.max(...d) : null)}`
}

// ---------- the soak ----------

let stopping = false
let wake: () => void = () => {}
const onSignal = (sig: string) => {
  if (stopping) return
  stopping = true
  console.error(`\nsoak: ${sig}: stopping after the running hop (it finishes or rolls back), then cleaning up`)
  wake()
}
process.on('SIGINT', () => onSignal('SIGINT'))
process.on('SIGTERM', () => onSignal('SIGTERM'))
process.on('SIGHUP', () => onSignal('SIGHUP'))

function sleepUntil(t: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, t - Date.now()))
    wake = () => {
      clearTimeout(timer)
      resolve()
    }
  })
}

const wasUp = (await labStatus())?.up === true
if (!wasUp) {
  console.log('soak: the lab is not up: bringing it up (and down again at the end)')
  await labUp({ onProgress: (l) => console.log(`  [lab] ${l}`) })
}
const links = new Map<string, LinkSettings>()
for (const h of readState()?.hosts ?? []) if ((HOSTS as readonly string[]).includes(h.name)) links.set(h.name, { ...h.link })
let unthrottled = false
/** When the links were changed ([start, end] of each change), to tell the outages they cause. */
const linkChanges: [number, number][] = []
async function unthrottle(): Promise<void> {
  unthrottled = true
  const t = Date.now()
  for (const h of links.keys()) await labLink(h, { off: true })
  linkChanges.push([t, Date.now()])
}
async function rethrottle(): Promise<void> {
  if (!unthrottled) return
  const t = Date.now()
  for (const [h, l] of links) await labLink(h, l.delayMs === 0 && l.rateMbit === null ? { off: true } : { delayMs: l.delayMs, rateMbit: l.rateMbit })
  linkChanges.push([t, Date.now()])
  unthrottled = false
}

const stateDir = mkdtempSync(path.join(os.tmpdir(), 'globehop-soak-'))
let serve: Serve | null = null
let browser: Browser | null = null
let client: EngineClient | null = null
let failed = false
const t0 = Date.now()
try {
  await labResetGame()
  ensureRendererBuilt()
  const token = randomBytes(24).toString('base64url')
  serve = await startServe(token, stateDir)
  console.log(`soak: globehop serve pid ${serve.pid} at http://127.0.0.1:${serve.port}/`)

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false })
  const page: Page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text())
  })
  await page.goto(serve.url)
  await page.locator('[data-app-state="ready"]').waitFor({ timeout: 60_000 })
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Performance.enable')
  // The user's act, as on stage: Connect in the page (SSH to every host, probes at 20 Hz).
  await page.getByRole('button', { name: 'Connect', exact: true }).click()
  const graph = page.getByTestId('ping-graph')
  const points = async () => Number(await graph.getAttribute('data-points'))
  for (let i = 0; (await points()) <= 40; i++) {
    if (i > 120) throw new Error(`the page's ping graph has ${await points()} points 30 s after Connect`)
    await page.waitForTimeout(250)
  }

  client = await EngineClient.open(serve.port, token)
  let pageGone = ''
  page.on('close', () => (pageGone = 'the page closed'))
  page.on('crash', () => (pageGone = 'the page crashed'))

  // Post-copy is for fast links (it stalled ~29 s faulting pages at 10 Mbit/s): its hops run with
  // both hosts' links unthrottled, put back right after; the other modes keep the emulated WAN.
  const modes: Mode[] = ['stop-and-copy', 'pre-copy']
  const pre = await client.call('preflight', { mode: 'post-copy' })
  const post = pre.modes.find((m) => m.mode === 'post-copy')
  let postNote: string
  if (post?.available) {
    modes.push('post-copy')
    postNote = `post-copy with ${[...links.keys()].join(' and ')}'s links unthrottled for its hops`
  } else postNote = `post-copy skipped: ${post?.reason ?? 'the preflight did not report it'}`
  const linkWords = [...links].map(([h, l]) => `${h} ${l.delayMs} ms one-way, ${l.rateMbit == null ? 'unthrottled' : `${l.rateMbit} Mbit/s`}`).join('; ')
  console.log(`soak: ${minutes} min, a hop every ~${HOP_EVERY_MS / 1000} s between ${HOSTS.join(' and ')} (${linkWords}); modes in turn: ${modes.join(', ')}; ${postNote}`)

  const idle = await snapshot(serve.pid, cdp)
  console.log(`soak: connected, before the first hop: engine RSS ${mb(idle.rssBytes)}, SSH connections ${idle.ssh}, page heap ${mb(idle.heapBytes)}`)

  const hops: HopRecord[] = []
  let start: Snapshot | null = null
  let at: string = HOSTS[0]
  const soakStart = Date.now()
  const endAt = soakStart + minutes * 60_000
  let failedInARow = 0
  const expected = Math.max(1, Math.round((minutes * 60_000) / HOP_EVERY_MS))
  while (!stopping && !pageGone) {
    const n = hops.length + 1
    const mode = modes[hops.length % modes.length]!
    const to = at === HOSTS[0] ? HOSTS[1] : HOSTS[0]
    const began = Date.now()
    let r: HopResult | null = null
    let error: string | undefined
    try {
      if (mode === 'post-copy') await unthrottle()
      r = await client.call('hop', { to, mode })
    } catch (err) {
      error = (err as Error).message
    } finally {
      await rethrottle()
    }
    const rec: HopRecord = {
      n,
      mode,
      from: r?.from ?? at,
      to,
      ok: r?.ok === true,
      downtimeMs: r?.client?.downtimeMs ?? null,
      tookMs: r ? r.endedAt - r.startedAt : Date.now() - began,
      error: error ?? (r?.ok ? undefined : [r?.error, r?.rollback].filter(Boolean).join('; rollback: ')),
    }
    hops.push(rec)
    if (r?.containerOn) at = r.containerOn
    const snap = await snapshot(serve.pid, cdp)
    if (!start) start = snap
    console.log(
      `hop ${String(n).padStart(3)}/~${expected} ${clock(began)} ${mode.padEnd(13)} ${rec.from} -> ${to}`.padEnd(64) +
        `${rec.ok ? 'ok  ' : 'FAIL'} outage ${secs(rec.downtimeMs).padStart(7)}, took ${secs(rec.tookMs).padStart(7)}; RSS ${mb(snap.rssBytes)}, SSH ${snap.ssh}, heap ${mb(snap.heapBytes)}` +
        (rec.error ? `\n      ${rec.error.split('\n')[0]}` : ''),
    )
    if (r && r.containerOn === null) {
      console.log(`soak: after hop ${n} the game runs on no host: stopping`)
      failed = true
      break
    }
    failedInARow = rec.ok ? 0 : failedInARow + 1
    if (failedInARow >= 3) {
      console.log('soak: three hops in a row failed: stopping')
      failed = true
      break
    }
    const next = Math.max(began + HOP_EVERY_MS, Date.now() + MIN_GAP_MS)
    if (next >= endAt) break
    await sleepUntil(next)
  }
  if (pageGone) console.log(`soak: ${pageGone}: stopping`)
  const tookMin = (Date.now() - soakStart) / 60_000

  // The page heard every hop: its metrics table has one row per hop result.
  await page.waitForTimeout(1000)
  const rows = pageGone ? NaN : await page.getByTestId('hop-row').count()
  const okRows = pageGone ? NaN : await page.locator('[data-testid="hop-row"][data-ok="true"]').count()
  const outages = pageGone ? NaN : Number(await graph.getAttribute('data-outages'))
  const end = pageGone ? null : await snapshot(serve.pid, cdp)

  const half = Math.ceil(hops.length / 2)
  const first = hops.slice(0, half)
  const second = hops.slice(half)
  console.log(`\nsoak: ${hops.length} hops in ${tookMin.toFixed(1)} min${stopping ? ' (stopped early)' : ''}; start = the first half of the hops and the figures after hop 1, end = the second half and the figures after the last hop`)
  row('', 'start', 'end', 'end/start')
  row('hops ok / total', `${first.filter((h) => h.ok).length} / ${first.length}`, `${second.filter((h) => h.ok).length} / ${second.length}`)
  for (const m of modes) row(`outage ${m}`, outageCell(first.filter((h) => h.mode === m)), outageCell(second.filter((h) => h.mode === m)))
  if (start && end) {
    row('engine RSS (serve process)', mb(start.rssBytes), mb(end.rssBytes), ratio(end.rssBytes, start.rssBytes))
    row('SSH connections (TCP to :22)', String(start.ssh), String(end.ssh), ratio(end.ssh, start.ssh))
    row('page JS heap (after GC)', mb(start.heapBytes), mb(end.heapBytes), ratio(end.heapBytes, start.heapBytes))
    row('  page DOM nodes', String(start.domNodes), String(end.domNodes), ratio(end.domNodes, start.domNodes))
    row('  page JS event listeners', String(start.listeners), String(end.listeners), ratio(end.listeners, start.listeners))
    row('  serve TCP established (all)', String(start.tcp), String(end.tcp), ratio(end.tcp, start.tcp))
    row('  serve open file descriptors', String(start.fds), String(end.fds), ratio(end.fds, start.fds))
  }
  console.log('SSH channels: the engine exposes no channel count over its API; the figure above is its SSH connections (one per connected host).')
  const all = hops.filter((h) => h.ok && h.downtimeMs != null).map((h) => h.downtimeMs!)
  console.log(`all hops: ${hops.filter((h) => h.ok).length} / ${hops.length} ok, outage median ${secs(median(all))}, max ${secs(all.length ? Math.max(...all) : null)}`)
  const seen = [...client.outages.values()]
  const outside = seen.filter((o) => o.hopId === null)
  const longest = outside.length ? Math.max(...outside.map((o) => (o.endAt ?? Date.now()) - o.startAt)) : null
  // An outage that starts within 2 s of a link change (probes lost while the shaping is replaced).
  const byLinks = outside.filter((o) => linkChanges.some(([a, b]) => o.startAt >= a - 2000 && o.startAt <= b + 2000)).length
  console.log(
    `outages the engine reported: ${seen.length}, ${seen.length - outside.length} during hops, ${outside.length} outside hops` +
      (outside.length ? ` (longest ${secs(longest)}; ${byLinks} of them starting within 2 s of the soak changing the links for post-copy)` : ''),
  )
  console.log(`the page: ${rows} hop rows (${okRows} ok) for ${hops.length} hops, ${outages} outages on its ping graph, ${pageErrors.length} errors${pageErrors.length ? `: ${pageErrors.slice(0, 3).join(' | ')}` : ''}`)
  if (!end) failed = true
} catch (err) {
  failed = true
  console.error(`soak: ${(err as Error).stack ?? err}`)
} finally {
  client?.close()
  await browser?.close().catch(() => {})
  if (serve) await stopServe(serve)
  await rethrottle().catch((err: Error) => console.error(`soak: could not put the links back: ${err.message}`))
  await labResetGame().catch((err: Error) => console.error(`soak: could not reset the game: ${err.message}`))
  if (!wasUp) await labDown()
  rmSync(stateDir, { recursive: true, force: true })
  console.log(`soak: done in ${((Date.now() - t0) / 60_000).toFixed(1)} min`)
}
process.exit(failed ? 1 : 0)
