// A `runc restore` that dies mid-way (killed by a deadline, its session lost) leaves its bind mount
// of the bundle's rootfs at /run/runc/<id>/criu-root, and a plain `runc delete` then removes the
// state dir through it: on the lab that emptied the rootfs (runc 1.3.6, exit 0). Here a real runc
// restore is held at that point (a `criu` first on its PATH sleeps once the mount is there), killed,
// and then the runtime's own delete commands must leave the rootfs whole and the mount gone. It runs
// on the tour's last host, on a scratch bundle and container id: the game is not touched.
import { afterAll, describe, expect, it } from 'vitest'
import { BUNDLE_PATH } from '../../../../lab/hosts'
import { inMachine, shInMachine } from '../../../../lab/machine'
import { readState } from '../../../../lab/state'
import { labForTests } from '../../../../lab/testing'
import { quoteArgv } from '../../ssh/quote'
import { runc } from './runc'

const lab = labForTests()
const host = readState()?.hosts.at(-1)
const ID = 'globehop-criu-root-test'
const T = `/root/${ID}`
const MOUNT = `/run/runc/${ID}/criu-root`
/** Exits 0 while the mount is there. */
const IS_MOUNTED = `grep -qF ' ${MOUNT} ' /proc/self/mountinfo`
const skipWhy = lab.available ? '' : ` (skipped: ${lab.reason})`

const sh = (script: string) => shInMachine(host!, script, { timeoutMs: 30_000 })
const mounted = async () => (await sh(IS_MOUNTED).catch(() => ({ code: 1 }))).code === 0
const rootfs = async () => (await sh(`ls -A ${T}/bundle/rootfs`)).stdout.split('\n').filter(Boolean).sort()

/** Starts `runc restore` of the scratch bundle and returns once runc has mounted criu-root and is held there. */
async function heldRestore(): Promise<void> {
  await sh(
    [
      `rm -rf ${T} && mkdir -p ${T}/bundle/rootfs/tmp ${T}/img ${T}/bin`,
      `cp ${BUNDLE_PATH}/config.json ${T}/bundle/ && echo keep > ${T}/bundle/rootfs/marker`,
      // runc reads the image's descriptors before it mounts; CRIU never gets to read the rest.
      `echo '["/dev/null","/dev/null","/dev/null"]' > ${T}/img/descriptors.json`,
      `real=$(command -v criu) && printf '%s\\n' '#!/bin/sh' "${IS_MOUNTED} || exec $real \"\\$@\"" 'echo $$ > ${T}/held.pid; exec sleep 300' > ${T}/bin/criu && chmod +x ${T}/bin/criu`,
      `PATH=${T}/bin:$PATH setsid ${quoteArgv(runc.restore({ id: ID, bundle: `${T}/bundle`, imagePath: `${T}/img`, workPath: `${T}/work` }))} </dev/null >${T}/restore.out 2>&1 &`,
      `echo $! > ${T}/runc.pid`,
    ].join('\n'),
  )
  for (let i = 0; i < 200 && !(await sh(`test -s ${T}/held.pid`).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 50))
  expect(await mounted(), (await sh(`cat ${T}/restore.out`)).stdout).toBe(true)
  // What a deadline or a lost session does to it: no chance to unmount.
  await sh(`kill -9 $(cat ${T}/runc.pid) $(cat ${T}/held.pid); sleep 0.2`)
}

describe.skipIf(!lab.available || !host)(`a killed runc restore's mount of the rootfs${skipWhy}`, { timeout: 120_000 }, () => {
  afterAll(async () => {
    if (!host) return
    await sh(`for i in 1 2 3; do ${IS_MOUNTED} && umount -l ${MOUNT}; done; rm -rf /run/runc/${ID} ${T}`).catch(() => {})
  })

  const cases = [
    ['forceDelete (rollback, recover, lab reset), two mounts stacked there', runc.forceDelete(ID), 2],
    ['delete (the source after a hop)', runc.delete(ID), 1],
  ] as const
  for (const [what, argv, mounts] of cases) {
    it(`${what}: the rootfs stays whole, the mounts and the state dir go`, async () => {
      await heldRestore()
      // A second killed restore cannot mount there (runc finds the id taken), but nothing says a mount stays alone.
      if (mounts > 1) await sh(`mount --bind ${T}/bundle/rootfs ${MOUNT}`)
      expect((await sh(`grep -cF ' ${MOUNT} ' /proc/self/mountinfo`)).stdout.trim()).toBe(String(mounts))
      const before = await rootfs()
      expect(before).toContain('marker')
      const r = await inMachine(host!, argv, { allowFail: true, timeoutMs: 30_000 })
      // runc knows no such container (it never finished creating it); the wrapper's part is what counts.
      expect(r.stderr).not.toMatch(/cannot unmount/)
      expect(await rootfs()).toEqual(before)
      expect(await mounted()).toBe(false)
      expect((await sh(`test -e /run/runc/${ID} && echo left || echo gone`)).stdout.trim()).toBe('gone')
    })
  }
})
