// A scripted game client keeps its player slot across one real stop-and-copy hop (a restored
// server still knows its connection), and loses it when the server is restarted instead.
import { performance } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { connectTestClient, labForTests, labResetGame } from './testing'
import { startTourRuntime } from '../src/core/tour-runtime'
import { loadTour } from '../src/core/tour/load'
import { FLOATING_IP, GAME_PORT } from './index'
import { queryServer } from './query'
import type { GameTestClient } from './test-client'

const lab = labForTests()
const NAME = 'globehop-probe'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const status = () => queryServer(FLOATING_IP, GAME_PORT, 'getstatus', 2000)

describe.skipIf(!lab.available)(`a connected game client across a hop${lab.available ? '' : `: skipped, ${lab.reason}`}`, () => {
  it('keeps its slot through stop-and-copy and loses it to a restart', { timeout: 120_000 }, async () => {
    await labResetGame()
    let client: GameTestClient | null = null
    const rt = startTourRuntime(await loadTour(lab.tourPath), { emit: () => {} })
    try {
      client = await connectTestClient(NAME, { keepaliveMs: 100 })
      await sleep(1500) // the server lists a new player's name and ping from its next frames
      const before = await status()
      const me = before.players.find((p) => p.name === NAME)
      expect(me, JSON.stringify(before.players)).toBeTruthy()
      expect(me!.ping).toBeGreaterThan(0) // a real connection: bots show ping 0
      expect(Number(before.info.clients)).toBe(Number(before.info.bots) + 1)

      expect((await rt.pipeline.preflight()).ok).toBe(true)
      const t0 = performance.now()
      const packetsBefore = client.serverPackets
      const r = await rt.pipeline.hop({ to: 'strasbourg', mode: 'stop-and-copy' })
      expect(r.ok, r.error).toBe(true)
      const hopMs = performance.now() - t0
      await sleep(2000) // packets flow again
      const gap = client.longestGapMs(t0)
      const after = await status()
      console.log(
        `[test-client] hop ${r.from} -> ${r.to} took ${hopMs.toFixed(0)} ms; client's longest gap in server packets ${gap.toFixed(0)} ms; ` +
          `server packets ${packetsBefore} -> ${client.serverPackets}; players after: ${JSON.stringify(after.players)}`,
      )
      expect(client.connected, client.disconnectReason ?? '').toBe(true)
      expect(Date.now() - client.lastServerPacketAt!).toBeLessThan(500)
      expect(gap).toBeLessThan(hopMs + 1000)
      const still = after.players.find((p) => p.name === NAME)
      expect(still, JSON.stringify(after.players)).toBeTruthy()
      expect(still!.ping).toBeGreaterThan(0)
      expect(Number(after.info.clients)).toBe(Number(after.info.bots) + 1)

      // The negative: a restarted server (what a failed migration would fall back to) forgot us.
      await labResetGame()
      await sleep(1500)
      const restarted = await status()
      expect(restarted.players.map((p) => p.name)).not.toContain(NAME)
      expect(Number(restarted.info.clients)).toBe(Number(restarted.info.bots))
    } finally {
      await client?.close()
      await rt.close()
      await labResetGame()
    }
  })
})
