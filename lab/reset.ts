// Puts the game back where `lab up` left it: on the tour's first host, which owns the
// floating IP, with no game container anywhere else and the bundle present on every host.
import type { RuntimeName } from '../src/shared/tour'
import { cmd } from './exec'
import { hasBundle, removeGame, rootfsIntact, setOwner, startGame, waitGameAnswers, waitOwner } from './game'
import { BUNDLE_PATH } from './hosts'
import { machineArgv } from './machine'
import { readState } from './state'
import { labIsUp } from './up'

/** `runtime`: what the game is started under; default what `lab up` started it under. */
export async function resetGame(runtime?: RuntimeName): Promise<void> {
  const s = readState()
  if (!s || !labIsUp(s)) throw new Error('the lab is not up (run `globehop lab up`)')
  runtime ??= s.runtime ?? 'runc'
  await Promise.all(s.hosts.map(removeGame))
  for (const h of s.hosts) {
    if (await hasBundle(h)) {
      // Tests may move config.json away, never the rootfs: an empty one is data loss to report, not to mend.
      if (!(await rootfsIntact(h))) throw new Error(`the game's rootfs on ${h.name} (${BUNDLE_PATH}/rootfs) was emptied; \`globehop lab down && globehop lab up\` restores it`)
      continue
    }
    // Copy the bundle back from the lab's source over a local pipe (never over the slow link).
    const argv = machineArgv(h, ['/bin/sh', '-c', `mkdir -p ${BUNDLE_PATH} && tar -x -C ${BUNDLE_PATH}`])
    await cmd(['/bin/sh', '-c', 'src=$1; shift; tar -C "$src" -c . | "$@"', 'sh', s.bundle, ...argv], { timeoutMs: 300_000 })
  }
  const first = s.hosts[0]!
  await setOwner(s.hosts, first.name)
  await waitOwner(s.hosts, first.name, 15_000)
  await startGame(first, runtime)
  await waitGameAnswers(30_000)
}
