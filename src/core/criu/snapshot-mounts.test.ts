// The snapshot's CRIU config from a real process's mount namespace: tmpfs mounts made in a private
// namespace (unshare), one with a space in its path, and a bind mount beside them. Needs root.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SNAPSHOT_MOUNT_KEY, SNAPSHOT_MOUNTS } from './snapshot-mounts'

const root = process.getuid?.() === 0 && spawnSync('unshare', ['-m', 'true']).status === 0
const why = root ? '' : ' (skipped: needs root and unshare -m)'

/** Runs the snippet on `pid`; prints the config's path from the environment, then the count. */
function config(pid: number, conf: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync('perl', ['-e', `${SNAPSHOT_MOUNTS} my $n = $SNAPSHOT_MOUNTS->($ARGV[0], $ARGV[1]); print(($ENV{CRIU_CONFIG_FILE} // '-') . " $n\\n")`, String(pid), conf], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } })
  expect(r.stderr).toBe('')
  const [file, n] = r.stdout.trim().split(' ')
  return { file, n: Number(n) }
}

describe.skipIf(!root)(`a snapshot's CRIU config${why}`, () => {
  let dir = ''
  let holder: ChildProcess
  let pid = 0
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gh-snapmnt-'))
    const script = [
      'set -e; d=$1',
      'mkdir -p "$d/a" "$d/with space" "$d/src" "$d/bound"',
      'mount -t tmpfs gh-a "$d/a"; mount -t tmpfs gh-sp "$d/with space"; mount --bind "$d/src" "$d/bound"',
      'echo up; exec sleep 60',
    ].join('\n')
    holder = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', dir], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()))
    pid = holder.pid!
  })
  afterAll(() => {
    holder?.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('names every plainly named tmpfs mount external, and only those', () => {
    const conf = path.join(dir, 'work', 'criu.conf')
    const { file, n } = config(pid, conf)
    expect(file).toBe(conf)
    const lines = readFileSync(conf, 'utf8').trim().split('\n')
    expect(lines).toHaveLength(n)
    expect(lines).toContain(`external mnt[${dir}/a]:${SNAPSHOT_MOUNT_KEY}`)
    expect(lines.some((l) => l.includes('with'))).toBe(false)
    expect(lines.some((l) => l.includes('bound'))).toBe(false)
    // Every line is a tmpfs mount the process sees (field 5 of its mountinfo, fs type after "-").
    const tmpfs = readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f[f.indexOf('-') + 1] === 'tmpfs')
      .map((f) => f[4])
    for (const l of lines) expect(tmpfs).toContain(/^external mnt\[(.*)\]:/.exec(l)![1])
  })

  it("keeps the lines of a CRIU_CONFIG_FILE already set, ahead of its own", () => {
    const mine = path.join(dir, 'theirs.conf')
    writeFileSync(mine, 'tcp-established')
    const conf = path.join(dir, 'kept.conf')
    config(pid, conf, { CRIU_CONFIG_FILE: mine })
    const lines = readFileSync(conf, 'utf8').split('\n')
    expect(lines[0]).toBe('tcp-established')
    expect(lines[1]).toMatch(/^external mnt\[/)
  })

  it('leaves the environment alone for a process that is gone', () => {
    const conf = path.join(dir, 'none.conf')
    expect(config(2 ** 22 + 1, conf)).toEqual({ file: '-', n: 0 })
  })
})
