// A throwaway OpenSSH server on 127.0.0.1 for tests: own temp dir, host key, client key and
// known_hosts. Root only (sshd's privilege separation), Linux only.
//
// Extra login users (e.g. one whose login shell is tcsh) exist only for this server: it runs in
// its own mount namespace where /etc/passwd is a copy with their lines added, so the machine's
// user database is never touched. They have UID 0 (so they read the root-owned key files and
// exercise the root kill path) and a home of their own under the temp dir. root's home there is
// a fresh dir as well.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { Host } from '../../../shared/tour'

export const SSHD = '/usr/sbin/sshd'

/** Why a real sshd cannot run here, or null when it can. */
export function sshdUnavailable(): string | null {
  if (process.platform !== 'linux') return 'needs Linux'
  if (!existsSync(SSHD)) return `${SSHD} is missing (apt-get install openssh-server)`
  if (process.getuid?.() !== 0) return 'needs root (sshd privilege separation)'
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'ssh-keygen is missing'
  }
  return null
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

function keygen(file: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'globehop-test', '-f', file])
  return readFileSync(`${file}.pub`, 'utf8').trim()
}

export interface TestUser {
  name: string
  /** Login shell, e.g. /usr/bin/tcsh. */
  shell: string
}

/** Why extra login users cannot be made here (no unshare), or null when they can. */
export function testUsersUnavailable(): string | null {
  return existsSync('/usr/bin/unshare') ? null : '/usr/bin/unshare is missing (util-linux)'
}

export interface TestSshd {
  dir: string
  port: number
  /** Client private key authorized for root. */
  clientKey: string
  /** known_hosts with this server's key for [127.0.0.1]:port. */
  knownHosts: string
  /** `ssh-ed25519 AAAA...` of the server. */
  hostPublicKey: string
  /** A tour host pointing at this server. */
  host(name?: string, ssh?: Partial<Host['ssh']>): Host
  /** Home directory of an extra user given to startSshd. */
  homeOf(user: string): string
  /** PIDs of the per-connection sshd processes (children of the listener). */
  sessionPids(): number[]
  stderr(): string
  /** Stops the server and its connections but keeps the files (keys, known_hosts). */
  stopServer(): Promise<void>
  /** Stops the server and removes its temp dir. */
  stop(): Promise<void>
}

function sessionPidsOf(parent: number | undefined): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        // Field 4 of /proc/PID/stat is the parent PID (after the parenthesised comm).
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent
      } catch {
        return false
      }
    })
    .map(Number)
}

export async function startSshd(extraConfig: string[] = [], users: TestUser[] = []): Promise<TestSshd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'globehop-sshd-'))
  const homeOf = (user: string) => path.join(dir, `home-${user}`)
  // Root sshd refuses to start without its privilege separation directory.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 })
  const hostPublicKey = keygen(path.join(dir, 'host_ed25519')).split(' ').slice(0, 2).join(' ')
  const clientPub = keygen(path.join(dir, 'client_ed25519'))
  writeFileSync(path.join(dir, 'authorized_keys'), `${clientPub}\n`)
  const port = await freePort()
  const knownHosts = path.join(dir, 'known_hosts')
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostPublicKey}\n`)
  const config = path.join(dir, 'sshd_config')
  writeFileSync(
    config,
    [
      // First occurrence wins in sshd_config: the caller's lines go first.
      ...extraConfig,
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${path.join(dir, 'host_ed25519')}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      // The temp dir is under a world-writable /tmp: StrictModes would refuse the key files.
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'AllowTcpForwarding yes',
      'MaxSessions 10',
      'LogLevel VERBOSE',
    ].join('\n') + '\n',
  )
  let log = ''
  const sshdArgv = [SSHD, '-D', '-e', '-f', config]
  let argv = sshdArgv
  // With unshare, root's home is a fresh dir too: the machine's ~/.bashrc (pyenv hooks and the
  // like, seconds per command under load) must not run in every test command.
  if (users.length > 0 || testUsersUnavailable() === null) {
    for (const u of users) {
      if (!/^[a-z_][a-z0-9_-]*$/.test(u.name) || u.name === 'root' || !path.isAbsolute(u.shell)) throw new Error(`bad test user ${JSON.stringify(u)}`)
    }
    for (const name of ['root', ...users.map((u) => u.name)]) mkdirSync(homeOf(name), { mode: 0o700 })
    const passwd = path.join(dir, 'passwd')
    const system = readFileSync('/etc/passwd', 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => (l.startsWith('root:') ? l.split(':').map((f, i) => (i === 5 ? homeOf('root') : f)).join(':') : l))
    const lines = users.map((u) => `${u.name}:x:0:0:globehop test user:${homeOf(u.name)}:${u.shell}`)
    writeFileSync(passwd, `${[...system, ...lines].join('\n')}\n`)
    // unshare without --fork execs sh, which execs sshd: the PID stays sshd's (sessionPids).
    argv = ['/usr/bin/unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', 'mount --bind -- "$1" /etc/passwd && shift && exec "$@"', 'sh', passwd, ...sshdArgv]
  }
  const proc: ChildProcess = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] })
  proc.stderr!.on('data', (b: Buffer) => (log += b.toString()))
  const exited = new Promise<void>((r) => proc.once('exit', () => r()))
  // Ready when it accepts TCP connections.
  const deadline = Date.now() + 10_000
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)))
      s.once('error', () => r(false))
    })
    if (ok) break
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill()
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`sshd did not start: ${log}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  const stopServer = async () => {
    // Per-connection children outlive the listener: end them too.
    for (const pid of sessionPidsOf(proc.pid)) {
      try {
        process.kill(pid, 'SIGTERM')
      } catch {
        // already gone
      }
    }
    proc.kill('SIGTERM')
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))])
  }
  return {
    dir,
    port,
    clientKey: path.join(dir, 'client_ed25519'),
    knownHosts,
    hostPublicKey,
    host: (name = 'local', ssh = {}) => ({
      name,
      label: name,
      lat: 0,
      lon: 0,
      address: '127.0.0.1',
      ssh: { host: '127.0.0.1', port, user: 'root', identityFile: path.join(dir, 'client_ed25519'), agent: false, knownHosts, ...ssh },
    }),
    homeOf,
    sessionPids: () => sessionPidsOf(proc.pid),
    stderr: () => log,
    stopServer,
    stop: async () => {
      await stopServer()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
