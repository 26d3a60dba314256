// Global setup of the `lab` vitest project: bring the lab up (building the cache on the first
// run) when this machine can run it, tear it down at the end. A lab that was already up
// before the run is left up. Elsewhere, nothing: lab tests skip with the reason.
import { labDown, labRequirements, labStatus, labUp } from './index'

export default async function setup(): Promise<(() => Promise<void>) | void> {
  const why = labRequirements()
  if (why) {
    console.log(`[lab] not bringing the lab up: ${why}`)
    return
  }
  const before = await labStatus()
  if (before?.up) {
    console.log('[lab] the lab is already up: using it and leaving it up')
    return
  }
  const t0 = Date.now()
  await labUp({ onProgress: (l) => console.log(`[lab] ${l}`) })
  console.log(`[lab] up in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  return async () => {
    if (process.env.GLOBEHOP_LAB_KEEP === '1') {
      console.log('[lab] GLOBEHOP_LAB_KEEP=1: leaving the lab up')
      return
    }
    await labDown()
    console.log('[lab] down')
  }
}
