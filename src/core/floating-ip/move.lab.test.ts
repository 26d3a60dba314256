// The floating IP move on the lab's real keepalived: from the decision (moveFloatingIp called) to
// the destination holding the address (it answers ARP from then on), over the emulated WAN links,
// with `ip monitor` on every host: the IP must arrive on the destination only, never for a moment
// on a bystander, and leave the source. The <= 300 ms target (issue 12) is the bench's to check
// (`npm run bench` prints the IP move beside it): a timed test on 2 shared cores would be noise.
// Here every move must merely not wait on a VRRP timeout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Tour } from '../../shared/tour'
import { labForTests, labResetGame, whereIsEverything } from '../../../lab/testing'
import { readState } from '../../../lab/state'
import { SshPool } from '../ssh/pool'
import { loadTour } from '../tour/load'
import { moveFloatingIp } from './move'
import { watchAddress } from './testing/address-watch'

const lab = labForTests()
/** Far above a working move (155-394 ms measured), far below one that waits out VRRP's timers or retries a write. */
const NO_TIMEOUT_MS = 1500
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor((a.length - 1) / 2)]!

describe.skipIf(!lab.available)(`floating IP move on the lab${lab.available ? '' : ` (skipped: ${lab.reason})`}`, { timeout: 300_000 }, () => {
  let tour: Tour
  let pool: SshPool
  beforeAll(async () => {
    tour = await loadTour(lab.tourPath)
    pool = new SshPool(tour, { sshConfig: null })
    await labResetGame()
  })
  afterAll(async () => {
    await pool?.close()
    await labResetGame()
  })

  it(`keepalived moves it to the destination only, never via a bystander, each move within ${NO_TIMEOUT_MS} ms of the decision`, async () => {
    const hosts = readState()!.hosts
    const ip = tour.floatingIp.address
    const path = ['stuttgart', 'strasbourg', 'montreal', 'strasbourg', 'stuttgart', 'strasbourg', 'montreal', 'strasbourg', 'stuttgart']
    const ms = new Map<string, number[]>()
    for (let i = 1; i < path.length; i++) {
      const [from, to] = [path[i - 1]!, path[i]!]
      const [src, dst] = await Promise.all([pool.get(from), pool.get(to)])
      const watch = await watchAddress(hosts, ip)
      try {
        const t0 = performance.now()
        await moveFloatingIp(tour, src, dst)
        // Late arrivals elsewhere (a bystander's timer running out after the move) show up here.
        await new Promise((r) => setTimeout(r, 600))
        const arrived = watch.arrival(to, t0)
        expect(arrived, `${to} never got ${ip}`).toBeDefined()
        const strays = watch.events.filter((e) => e.added && e.host !== to)
        expect(strays, `${ip} arrived on ${strays.map((e) => e.host).join(', ')} during ${from} -> ${to}`).toEqual([])
        const key = `${from} -> ${to}`
        ms.set(key, [...(ms.get(key) ?? []), arrived! - t0])
      } finally {
        watch.stop()
      }
      const where = await whereIsEverything(pool, tour)
      expect(where.ip).toEqual([to])
    }
    const rows = [...ms].map(([k, v]) => ({ pair: k, ms: v.map(Math.round), median: Math.round(median(v)) }))
    console.log(rows.map((r) => `${r.pair.padEnd(26)} decision -> ARP ${r.ms.join(', ')} ms (median ${r.median})`).join('\n'))
    // Far hosts pay their own SSH command start (~2 RTT: montreal ~290 ms) before their write lands.
    for (const r of rows) expect(Math.max(...r.ms), `${r.pair}: ${r.ms.join(', ')} ms`).toBeLessThanOrEqual(NO_TIMEOUT_MS)
  })
})
