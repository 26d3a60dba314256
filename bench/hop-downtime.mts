// Client downtime of one hop, stop-and-copy vs pre-copy, measured side by side on the local lab
// (Stuttgart -> Strasbourg over the emulated 10 Mbit/s link), by globehop's own 20 Hz prober.
// The goal: pre-copy cuts what players feel by far more than half. Needs root on Linux (the lab).
import { labResetGame } from '../lab/testing'
import { labDown, labRequirements, labStatus, labTourPath, labUp } from '../src/core/lab/index'
import { startTourRuntime } from '../src/core/tour-runtime'
import { loadTour } from '../src/core/tour/load'

const why = labRequirements()
if (why) {
  console.log(`hop downtime: skipped, the lab cannot run here: ${why}`)
  process.exit(0)
}
const wasUp = (await labStatus())?.up === true
if (!wasUp) await labUp()
try {
  const tour = await loadTour(labTourPath())
  const downtime: Record<string, number> = {}
  for (const mode of ['stop-and-copy', 'pre-copy'] as const) {
    await labResetGame()
    const rt = startTourRuntime(tour, { emit: () => {} })
    try {
      await new Promise((r) => setTimeout(r, 3000)) // replies before the hop, for the prober's baseline
      const r = await rt.pipeline.hop({ to: 'strasbourg', mode })
      await new Promise((res) => setTimeout(res, 1500)) // the outage's end settles
      const v = rt.prober!.clientView(r.hopId)
      if (!r.ok || v.downtimeMs == null) throw new Error(`${mode} hop failed: ${r.error ?? 'no downtime measured'}`)
      downtime[mode] = v.downtimeMs
      console.log(`${mode.padEnd(14)} ${r.technique.padEnd(24)} client downtime ${(v.downtimeMs / 1000).toFixed(2)} s, ${((r.wireBytes ?? 0) / 2 ** 20).toFixed(1)} MiB on the wire`)
    } finally {
      await rt.close()
    }
  }
  console.log(`downtime ratio stop-and-copy / pre-copy: ${(downtime['stop-and-copy']! / downtime['pre-copy']!).toFixed(1)}x`)
} finally {
  await labResetGame()
  if (!wasUp) await labDown()
}
