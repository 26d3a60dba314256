// One simulated machine: a network namespace (made by net.ts) plus mount, UTS, IPC and PID
// namespaces with an overlay root (shared read-only Debian tree below, per-machine tmpfs layer
// above), its own /run, sshd and keepalived, under tini as PID 1.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { cmd, type CmdOptions, type CmdResult } from './exec'
import { BUNDLE_PATH, LAB_HOSTS, TRACK_FILE, hostNetns, type LabHostSpec } from './hosts'
import { cacheLayout, labAssetDir, runDir } from './paths'
import { createMachineCgroups, procsFiles } from './cgroups'
import { firstChild, startDetached } from './procs'
import { renderEtcHosts, renderKeepalivedConf, renderKnownHosts, renderSshdConf, renderStorageConf } from './render'
import type { HostState } from './state'

export const hostRunDir = (name: string) => path.join(runDir(), 'hosts', name)
/** Podman's image store shared by every machine (at IMAGE_STORE inside them). */
const podmanImageStore = () => path.join(runDir(), 'podman-images')

function put(root: string, rel: string, text: string | Buffer, mode = 0o644): void {
  const file = path.join(root, rel)
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, text)
  chmodSync(file, mode)
}

/** known_hosts for the app and for host-to-host rsync: each host by name and address. */
export function labKnownHosts(cacheDir: string): string {
  const keys = cacheLayout(cacheDir).keys
  return renderKnownHosts(LAB_HOSTS.map((h) => ({ names: [h.ip, h.name], publicKey: readFileSync(path.join(keys, `host_${h.name}_ed25519.pub`), 'utf8') })))
}

/** Files copied over the machine's root at boot. */
function stageFiles(h: LabHostSpec, owner: boolean, cacheDir: string, dir: string): void {
  const keys = cacheLayout(cacheDir).keys
  const hostKey = path.join(keys, `host_${h.name}_ed25519`)
  put(dir, 'etc/ssh/ssh_host_ed25519_key', readFileSync(hostKey), 0o600)
  put(dir, 'etc/ssh/ssh_host_ed25519_key.pub', readFileSync(hostKey + '.pub'))
  put(dir, 'etc/ssh/sshd_config.d/globehop.conf', renderSshdConf())
  const labKey = path.join(keys, 'id_ed25519')
  put(dir, 'root/.ssh/authorized_keys', readFileSync(labKey + '.pub'), 0o600)
  // The same key lets the pipeline rsync/ssh from host to host with strict checking.
  put(dir, 'root/.ssh/id_ed25519', readFileSync(labKey), 0o600)
  put(dir, 'root/.ssh/id_ed25519.pub', readFileSync(labKey + '.pub'))
  put(dir, 'root/.ssh/known_hosts', labKnownHosts(cacheDir), 0o600)
  put(dir, 'root/.ssh/config', 'StrictHostKeyChecking yes\nUser root\n', 0o600)
  chmodSync(path.join(dir, 'root/.ssh'), 0o700)
  chmodSync(path.join(dir, 'root'), 0o700)
  put(dir, 'etc/keepalived/keepalived.conf', renderKeepalivedConf(h.name))
  put(dir, TRACK_FILE.slice(1), owner ? '1\n' : '0\n')
  put(dir, 'etc/hostname', h.name + '\n')
  put(dir, 'etc/hosts', renderEtcHosts(h.name))
  put(dir, 'etc/containers/storage.conf', renderStorageConf())
  put(dir, 'etc/globehop/boot.sh', readFileSync(path.join(labAssetDir(), 'machine-boot.sh')), 0o755)
}

export interface StartOptions {
  cacheDir: string
  owner: boolean
  /** A user bundle directory mounted at BUNDLE_PATH instead of the built one. */
  userBundle?: string
}

export async function startMachine(h: LabHostSpec, o: StartOptions): Promise<HostState> {
  const c = cacheLayout(o.cacheDir)
  const d = hostRunDir(h.name)
  const dirs = { upper: path.join(d, 'upper'), work: path.join(d, 'work'), merged: path.join(d, 'root'), files: path.join(d, 'files') }
  for (const x of Object.values(dirs)) mkdirSync(x, { recursive: true })
  stageFiles(h, o.owner, o.cacheDir, dirs.files)
  const lower = o.userBundle ? c.hostRoot : `${c.bundleLayer}:${c.hostRoot}`
  const args = [h.name, lower, dirs.upper, dirs.work, dirs.merged, dirs.files]
  if (o.userBundle) {
    const bu = path.join(d, 'bundle-upper')
    const bw = path.join(d, 'bundle-work')
    mkdirSync(bu, { recursive: true })
    mkdirSync(bw, { recursive: true })
    args.push(path.resolve(o.userBundle), bu, bw, BUNDLE_PATH)
  }
  const cgroups = createMachineCgroups(h.name)
  mkdirSync(path.join(runDir(), 'logs'), { recursive: true })
  mkdirSync(podmanImageStore(), { recursive: true })
  // Join the machine's cgroups first so everything it ever starts inherits them. nsenter, not
  // `ip netns exec`: the latter remounts /sys, hiding the cgroup mounts the machine binds.
  const joinThenExec = 'for f in $GLOBEHOP_CGROUP_PROCS; do echo $$ > "$f"; done; exec "$@"'
  const launcher = startDetached(
    ['/bin/sh', '-c', joinThenExec, 'sh', 'nsenter', `--net=/run/netns/${hostNetns(h.name)}`, '--', 'unshare', '--mount', '--uts', '--ipc', '--pid', '--fork', '--kill-child', '--propagation', 'private', '/bin/sh', path.join(labAssetDir(), 'machine-init.sh'), ...args],
    path.join(runDir(), 'logs', `machine-${h.name}.log`),
    { ...process.env, GLOBEHOP_CGROUP_PROCS: procsFiles(cgroups).join(' '), GLOBEHOP_IMAGE_STORE: podmanImageStore() },
  )
  let init: number | null = null
  for (let i = 0; i < 100 && init === null; i++) {
    init = firstChild(launcher)
    if (init === null) await new Promise((r) => setTimeout(r, 20))
  }
  if (init === null) throw new Error(`machine ${h.name} did not start; see ${path.join(runDir(), 'logs', `machine-${h.name}.log`)}`)
  return { name: h.name, ip: h.ip, netns: hostNetns(h.name), initPid: init, cgroups, link: { delayMs: 0, rateMbit: null } }
}

/** argv that runs a command inside a machine, in its cgroups (so runc's relative cgroupsPath resolves there). */
export function machineArgv(h: HostState, argv: readonly string[]): string[] {
  const join = `for f in ${procsFiles(h.cgroups).map((f) => `'${f}'`).join(' ')}; do echo $$ > "$f"; done; exec "$@"`
  return ['/bin/sh', '-c', join, 'sh', 'nsenter', '-t', String(h.initPid), '-m', '-u', '-i', '-n', '-p', '-r', '-w', '--', ...argv]
}

/** Runs argv inside the machine and captures its output. */
export function inMachine(h: HostState, argv: readonly string[], opts?: CmdOptions): Promise<CmdResult> {
  return cmd(machineArgv(h, argv), opts)
}

/** Runs a shell command string inside the machine. */
export function shInMachine(h: HostState, script: string, opts?: CmdOptions): Promise<CmdResult> {
  return inMachine(h, ['/bin/sh', '-c', script], opts)
}

