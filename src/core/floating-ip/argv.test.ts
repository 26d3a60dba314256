import { execFile, execSync, spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { addAddress, awaitAddress, delAddress, FENCED_EXIT, gratuitousArp, holdsAddress, NOT_TRIGGERED_EXIT, readTrackFile, writeTrackFile, writeTrackFileFenced } from './argv'

const run = promisify(execFile)

describe('floating IP command lines', () => {
  it('manual method: ip addr add/del with prefix and interface, then unsolicited ARP', () => {
    expect(addAddress('198.51.100.100', 24, 'eth0')).toEqual(['ip', 'addr', 'add', '198.51.100.100/24', 'dev', 'eth0'])
    expect(delAddress('198.51.100.100', 24, 'eth0')).toEqual(['ip', 'addr', 'del', '198.51.100.100/24', 'dev', 'eth0'])
    expect(gratuitousArp('198.51.100.100', 'eth0')).toEqual(['arping', '-U', '-c', '3', '-w', '2', '-I', 'eth0', '--', '198.51.100.100'])
  })
  it('keepalived track file: written for real, directory created, hostile path stays one path', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gh-ip-'))
    const file = path.join(dir, "new dir; touch $(pwned)", 'vrrp-owner')
    for (const [owner, want] of [[true, '1\n'], [false, '0\n']] as const) {
      const argv = writeTrackFile(file, owner)
      await run(argv[0]!, argv.slice(1))
      expect(readFileSync(file, 'utf8')).toBe(want)
    }
  })
  it('a track file path shaped like an option stays a path for mkdir and cat (`--`)', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'gh-ip-'))
    const file = '-v/vrrp-owner'
    const w = writeTrackFile(file, true)
    await run(w[0]!, w.slice(1), { cwd })
    expect(readFileSync(path.join(cwd, file), 'utf8')).toBe('1\n')
    const r = readTrackFile(file)
    expect(r).toEqual(['cat', '--', file])
    expect((await run(r[0]!, r.slice(1), { cwd })).stdout).toBe('1\n')
  })
  it('writes the track file, then watches its own addresses until the IP arrived or left; exit 3 after the limit', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gh-ip-'))
    // A stand-in `ip` that lists the floating IP once the file says so (as keepalived would add it).
    const file = path.join(dir, 'run', 'vrrp-owner')
    writeFileSync(path.join(dir, 'ip'), `#!/bin/sh\necho '1: lo    inet 127.0.0.1/8 scope host lo'\n[ "$(cat '${file}' 2>/dev/null)" = 1 ] && echo '2: eth0    inet 198.51.100.100/24 scope global secondary eth0'\nexit 0\n`)
    chmodSync(path.join(dir, 'ip'), 0o755)
    const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` }
    const sh = (argv: string[]) => run(argv[0]!, argv.slice(1), { env }).then(() => 0, (e: { code: number }) => e.code)
    expect(await sh(awaitAddress('198.51.100.100', true, 2000, { file, owner: true }))).toBe(0)
    expect(readFileSync(file, 'utf8')).toBe('1\n')
    // Holds it: waiting for it to leave runs out; a longer address sharing the prefix is no match.
    const t0 = Date.now()
    expect(await sh(awaitAddress('198.51.100.100', false, 50))).toBe(3)
    expect(Date.now() - t0).toBeLessThan(1500)
    expect(await sh(awaitAddress('198.51.100.10', false, 50))).toBe(0)
    expect(await sh(awaitAddress('198.51.100.100', false, 2000, { file, owner: false }))).toBe(0)
    expect(readFileSync(file, 'utf8')).toBe('0\n')
  })
  describe('the watch looks on address events, not every 10 ms', () => {
    /** A stand-in `ip`: logs each call; `monitor` runs until killed and reports the address once
     *  the flag file says 1 (as keepalived adding it would); `addr show` lists it then. */
    function host(withPerl: boolean) {
      const dir = mkdtempSync(path.join(tmpdir(), 'gh-ipw-'))
      const flag = path.join(dir, 'flag')
      const log = path.join(dir, 'calls')
      const line = "2: eth0    inet 198.51.100.100/24 scope global secondary eth0"
      writeFileSync(
        path.join(dir, 'ip'),
        [
          '#!/bin/sh',
          `echo "$*" >>'${log}'`,
          `if [ "$3" = monitor ]; then echo $$ >'${dir}/monitor.pid'; told=; while :; do`,
          `  if [ -z "$told" ] && [ "$(cat '${flag}' 2>/dev/null)" = 1 ]; then echo '${line}'; told=1; fi; sleep 0.02; done; fi`,
          `[ "$(cat '${flag}' 2>/dev/null)" = 1 ] && echo '${line}'`,
          'exit 0',
        ].join('\n'),
      )
      chmodSync(path.join(dir, 'ip'), 0o755)
      let bin = dir
      if (!withPerl) {
        // Everything the script and the stand-in start, but no perl.
        bin = path.join(dir, 'bin')
        mkdirSync(bin)
        for (const t of ['sh', 'grep', 'sleep', 'mkdir', 'cat']) symlinkSync(execSync(`command -v ${t}`, { shell: '/bin/sh' }).toString().trim(), path.join(bin, t))
        symlinkSync(path.join(dir, 'ip'), path.join(bin, 'ip'))
      }
      const env = { ...process.env, PATH: withPerl ? `${dir}:${process.env.PATH}` : bin }
      const looks = () => readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('-o -4 addr show')).length
      return { dir, flag, env, looks }
    }
    for (const withPerl of [true, false]) {
      it(withPerl ? 'with perl: one monitor, a look per event or 100 ms; the monitor gone after' : 'without perl: the 10 ms looks of before', async () => {
        const { dir, flag, env, looks } = host(withPerl)
        const argv = awaitAddress('198.51.100.100', true, 5000)
        const t0 = Date.now()
        setTimeout(() => writeFileSync(flag, '1'), 1000)
        const code = await run(argv[0]!, argv.slice(1), { env }).then(() => 0, (e: { code: number }) => e.code)
        expect(code).toBe(0)
        expect(Date.now() - t0).toBeGreaterThanOrEqual(990)
        if (withPerl) {
          // 1 s: the first look, ~10 safety-net looks, one on the event (the old pace: 25-100).
          expect(looks()).toBeLessThanOrEqual(13)
          const pid = Number(readFileSync(path.join(dir, 'monitor.pid'), 'utf8'))
          await new Promise((r) => setTimeout(r, 100))
          expect(() => process.kill(pid, 0)).toThrow()
        } else {
          expect(looks()).toBeGreaterThan(15)
          expect(existsSync(path.join(dir, 'monitor.pid'))).toBe(false)
        }
      })
    }
  })
  it('armed: writes only once the go line arrives on stdin; stdin ending without it writes nothing (exit 4)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gh-ip-'))
    const file = path.join(dir, 'vrrp-owner')
    writeFileSync(path.join(dir, 'ip'), `#!/bin/sh\n[ "$(cat '${file}' 2>/dev/null)" = 1 ] && echo '2: eth0    inet 198.51.100.100/24 scope global secondary eth0'\nexit 0\n`)
    chmodSync(path.join(dir, 'ip'), 0o755)
    const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` }
    const armed = awaitAddress('198.51.100.100', true, 2000, { file, owner: true, armed: true })
    const start = (said: string | null) => {
      const p = spawn(armed[0]!, armed.slice(1), { env, stdio: ['pipe', 'pipe', 'inherit'] })
      let out = ''
      p.stdout.on('data', (b: Buffer) => {
        out += b.toString()
        // Nothing is written before the line: the command only said it started.
        if (out === 'started\n') {
          expect(existsSync(file)).toBe(false)
          setTimeout(() => (said === null ? p.stdin.end() : p.stdin.end(said)), 100)
        }
      })
      return new Promise<number>((r) => p.on('close', (code) => r(code ?? -1)))
    }
    expect(await start(null)).toBe(NOT_TRIGGERED_EXIT)
    expect(existsSync(file)).toBe(false)
    expect(await start('go\n')).toBe(0)
    expect(readFileSync(file, 'utf8')).toBe('1\n')
  })
  describe("the hop's IP claim orders the move's and the rollback's writes", () => {
    /** A stand-in `ip` that lists the floating IP while the track file says 1, and a claim path. */
    function host() {
      const dir = mkdtempSync(path.join(tmpdir(), 'gh-ip-'))
      const file = path.join(dir, 'vrrp-owner')
      writeFileSync(path.join(dir, 'ip'), `#!/bin/sh\n[ "$(cat '${file}' 2>/dev/null)" = 1 ] && echo '2: eth0    inet 198.51.100.100/24 scope global secondary eth0'\nexit 0\n`)
      chmodSync(path.join(dir, 'ip'), 0o755)
      const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` }
      const sh = (argv: string[], input?: string) =>
        new Promise<number>((r) => {
          const p = spawn(argv[0]!, argv.slice(1), { env, stdio: ['pipe', 'ignore', 'inherit'] })
          p.stdin.end(input)
          p.on('close', (code) => r(code ?? -1))
        })
      return { file, claim: path.join(dir, 'hop', 'ip.claim'), sh }
    }
    it('a go line that arrives after the rollback took the claim writes nothing (exit 5)', async () => {
      const { file, claim, sh } = host()
      expect(await sh(writeTrackFileFenced(file, false, claim))).toBe(0)
      expect(readFileSync(file, 'utf8')).toBe('0\n')
      const t0 = Date.now()
      expect(await sh(awaitAddress('198.51.100.100', true, 2000, { file, owner: true, armed: true, claim }), 'go\n')).toBe(FENCED_EXIT)
      expect(readFileSync(file, 'utf8')).toBe('0\n')
      expect(existsSync(path.join(claim, 'late'))).toBe(true)
      // The rollback's own claim marked itself done: a second write of it does not wait.
      expect(await sh(writeTrackFileFenced(file, false, claim, 3000))).toBe(0)
      expect(Date.now() - t0).toBeLessThan(2000)
    })
    it('a move that took the claim first writes, and the rollback writes after it', async () => {
      const { file, claim, sh } = host()
      expect(await sh(awaitAddress('198.51.100.100', true, 2000, { file, owner: true, armed: true, claim }), 'go\n')).toBe(0)
      expect(readFileSync(file, 'utf8')).toBe('1\n')
      expect(existsSync(path.join(claim, 'done'))).toBe(true)
      expect(await sh(writeTrackFileFenced(file, false, claim))).toBe(0)
      expect(readFileSync(file, 'utf8')).toBe('0\n')
    })
    it('a claim taken by a move whose write never ended: the rollback waits its bounded time, then writes', async () => {
      const { file, claim, sh } = host()
      mkdirSync(claim, { recursive: true })
      const t0 = Date.now()
      expect(await sh(writeTrackFileFenced(file, true, claim, 300))).toBe(0)
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250)
      expect(readFileSync(file, 'utf8')).toBe('1\n')
    })
    it('without a go line an armed move with a claim leaves the claim free', async () => {
      const { file, claim, sh } = host()
      expect(await sh(awaitAddress('198.51.100.100', true, 2000, { file, owner: true, armed: true, claim }))).toBe(NOT_TRIGGERED_EXIT)
      expect(existsSync(claim)).toBe(false)
      expect(existsSync(file)).toBe(false)
    })
  })
  it('tells who holds the address from `ip -o -4 addr show`, not a longer one sharing its prefix', () => {
    const out = '1: lo    inet 127.0.0.1/8 scope host lo\n2: eth0    inet 198.51.100.11/24 brd 198.51.100.255 scope global eth0\n2: eth0    inet 198.51.100.100/24 scope global secondary eth0\n'
    expect(holdsAddress(out, '198.51.100.100')).toBe(true)
    expect(holdsAddress(out, '198.51.100.10')).toBe(false)
    expect(holdsAddress(out.split('\n').slice(0, 2).join('\n'), '198.51.100.100')).toBe(false)
  })
})
