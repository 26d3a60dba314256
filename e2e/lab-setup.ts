// Playwright global setup: the live-hop e2e needs the lab. Bring it up when this machine can run
// it (root, Linux), and take it down again at the end if it was not up before.
import { labDown, labRequirements, labStatus, labUp } from '../lab/index'

export default async function setup(): Promise<(() => Promise<void>) | void> {
  const why = labRequirements()
  if (why) {
    console.log(`[e2e] lab unavailable: ${why}`)
    return
  }
  if ((await labStatus())?.up) return
  await labUp({ onProgress: (l) => console.log(`[e2e lab] ${l}`) })
  return async () => {
    if (process.env.GLOBEHOP_LAB_KEEP !== '1') await labDown()
  }
}
