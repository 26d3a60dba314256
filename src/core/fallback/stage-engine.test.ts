// The stage fallback with the real Engine (a loaded tour, no host contacted) and the synthetic
// recording: R shows the recording of the same tour from the matching hop, every state says so,
// the live run's commands are refused meanwhile, cancel still reaches the live engine, and the way
// back stays on the recording while the live preflight cannot pass.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { AnyEvent, EngineState } from '../../shared/contract'
import { Engine } from '../engine'
import { HOP1, writeSyntheticRecording } from '../replay/testing/recording'
import { StageEngine } from './stage-engine'

let dir: string
let recording: string
let tourFile: string
let otherTour: string
const stages: StageEngine[] = []

// The synthetic recording's tour ("Rhine, two hops": stuttgart, strasbourg), as a tour file.
const rhine = (name: string) => `
name: "${name}"
defaults:
  ssh: { user: root }
hosts:
  - { name: stuttgart, label: Stuttgart, lat: 48.78, lon: 9.18, ssh: { host: 198.51.100.11 } }
  - { name: strasbourg, label: Strasbourg, lat: 48.57, lon: 7.75, ssh: { host: 198.51.100.12 } }
container: { id: xonotic, bundle: /srv/globehop/xonotic, gamePort: 26000 }
floatingIp: { address: 198.51.100.100 }
hops: [stuttgart, strasbourg, stuttgart]
`

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'globehop-stage-'))
  recording = writeSyntheticRecording(dir)
  tourFile = path.join(dir, 'rhine.yaml')
  writeFileSync(tourFile, rhine('Rhine, two hops'))
  otherTour = path.join(dir, 'other.yaml')
  writeFileSync(otherTour, rhine('Another tour'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))
afterEach(async () => {
  for (const s of stages.splice(0)) await s.close()
})

async function stage(tour: string, candidates: string[] = [recording]): Promise<{ stage: StageEngine; got: AnyEvent[] }> {
  const live = new Engine({ host: 'browser', version: 'test', probe: false })
  await live.loadTour(tour)
  const s = new StageEngine(live, { candidates: () => candidates, replay: { speed: 20 } })
  stages.push(s)
  const got: AnyEvent[] = []
  s.onEvent((e) => got.push(e))
  return { stage: s, got }
}

const code = (p: Promise<unknown>) => p.then(() => 'no error', (e: { code?: string; message: string }) => `${e.code}: ${e.message}`)

describe('StageEngine (stage fallback)', () => {
  it('live: state names the recording R would show, and says it is not shown', async () => {
    const { stage: s } = await stage(tourFile)
    const state = await s.handle('getState', {})
    expect(state.fallback).toEqual({ recording, active: false })
    expect(state.replay ?? null).toBeNull()
    const history = await s.handle('getHistory', {})
    expect(history.state?.fallback?.recording).toBe(recording)
  })

  it('R shows the recording from the hop that matches the live one, labelled as a replay', async () => {
    const { stage: s, got } = await stage(tourFile)
    const state = await s.handle('fallback', { to: 'replay' })
    expect(state.replay?.file).toBe(recording)
    expect(state.fallback).toMatchObject({ recording, active: true })
    // The live tour stands before stuttgart -> strasbourg: the recording's hop 1.
    expect(state.fallback?.detail).toMatch(/from its hop stuttgart -> strasbourg/)
    // It starts where that hop starts (8 s into the recording), not at the recording's start.
    expect(state.replay?.hop).toBe(1)
    expect(state.replay?.positionMs).toBeGreaterThanOrEqual(7_900)
    // The page replaced what it held with the recording's run, and every state says REPLAY.
    const history = got.find((e) => e.name === 'history')
    expect(history?.name === 'history' && history.payload.state?.replay?.file).toBe(recording)
    await new Promise((r) => setTimeout(r, 600))
    const states = got.filter((e): e is Extract<AnyEvent, { name: 'state' }> => e.name === 'state').map((e) => e.payload as EngineState)
    expect(states.length).toBeGreaterThan(0)
    for (const st of states) expect(st.fallback?.active && st.replay?.file === recording).toBe(true)
    // The recording plays: its hop's steps reach the page.
    expect(got.some((e) => e.name === 'step' && e.payload.hopId === HOP1)).toBe(true)
  })

  it('while the recording shows: hops are refused with what to do, cancel reaches the live engine', async () => {
    const { stage: s } = await stage(tourFile)
    await s.handle('fallback', { to: 'replay' })
    expect(await code(s.handle('hop', {}))).toBe('showing-recording: hop: the screen shows a recording (stage fallback): press R to go back to live first')
    expect(await s.handle('cancel', {})).toEqual({ cancelled: false, detail: 'nothing is running' })
    // The recording on screen cannot be deleted from under it.
    expect(await code(s.handle('deleteRecording', { name: path.basename(recording) }))).toBe(
      `in-use: ${path.basename(recording)} is on screen now: go back to live (R) before deleting it`,
    )
    // Pause and seek work on the recording shown.
    const paused = await s.handle('replay', { action: 'pause' })
    expect(paused.replay?.paused).toBe(true)
  })

  it('back to live stays on the recording while the live preflight cannot pass (hosts not connected)', async () => {
    const { stage: s } = await stage(tourFile)
    await s.handle('fallback', { to: 'replay' })
    const back = await code(s.handle('fallback', { to: 'live' }))
    expect(back).toMatch(/^fallback-live: staying on the recording: the live preflight failed \(stuttgart: reachable: no way to log in to root@198\.51\.100\.11:22: /)
    expect(s.showingRecording).toBe(true)
    expect((await s.handle('getState', {})).replay?.file).toBe(recording)
  })

  it('prefers an older recording that holds the hop under way to a newer one that does not', async () => {
    // A run recorded hop by hop: the newer file holds only strasbourg -> stuttgart.
    const newer = path.join(dir, 'newer-one-hop.jsonl')
    writeFileSync(newer, readFileSync(recording, 'utf8').split('\n').filter((l) => !l.includes(HOP1)).join('\n'))
    const { stage: s } = await stage(tourFile, [newer, recording])
    const state = await s.handle('fallback', { to: 'replay' })
    expect(state.replay?.file).toBe(recording)
    expect(state.fallback?.detail).toMatch(/from its hop stuttgart -> strasbourg$/)
    // With only the newer one, it stands in all the same, and says how it matched.
    const { stage: only } = await stage(tourFile, [newer])
    expect((await only.handle('fallback', { to: 'replay' })).fallback?.detail).toBe(`stage fallback: ${newer} from its hop 1 (no recorded hop goes to strasbourg)`)
  })

  it('a recording of another tour is never shown: R says what is missing', async () => {
    const { stage: s } = await stage(otherTour)
    expect((await s.handle('getState', {})).fallback).toEqual({ recording, active: false })
    expect(await code(s.handle('fallback', { to: 'replay' }))).toBe(
      'no-fallback: no good recording of "Another tour" to show: a run of this tour that finished at least one hop is recorded and can stand in',
    )
    // Once read and found foreign, it is no longer offered.
    expect((await s.handle('getState', {})).fallback).toEqual({ recording: null, active: false })
  })
})
