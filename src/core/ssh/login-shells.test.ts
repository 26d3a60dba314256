// Remote commands whatever the remote user's login shell: a real sshd with users whose login
// shell is tcsh, csh, fish, bash and dash (test-sshd.ts), hostile argv through each, compared
// byte for byte; stdin, exit codes, stderr and process-group kills too.
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { quoteArgv } from './quote'
import { connectRemote, type SshRemote } from './session'
import { startSshd, sshdUnavailable, testUsersUnavailable, type TestSshd } from './testing/test-sshd'

const why = sshdUnavailable() ?? testUsersUnavailable()

const SHELLS = [
  { user: 'gh-tcsh', shell: '/usr/bin/tcsh' },
  { user: 'gh-csh', shell: '/usr/bin/csh' },
  { user: 'gh-fish', shell: '/usr/bin/fish' },
  { user: 'gh-bash', shell: '/bin/bash' },
  { user: 'gh-dash', shell: '/bin/dash' },
]
const present = SHELLS.filter((s) => existsSync(s.shell))
const skipReason = (shell: string) => (existsSync(shell) ? '' : ` (skipped: ${shell} is not installed; .ci/run installs tcsh and fish: apt-get install tcsh fish)`)

const HOSTILE = [
  "it's",
  "'",
  '"double"',
  "\\'",
  "a\\'b",
  'a\nb',
  '\n',
  'back\\slash\\',
  '\\\\',
  '$(id)',
  '`id`',
  '${HOME}',
  '$HOME',
  '!',
  '!!',
  '!$',
  'a!b',
  '%',
  '%1',
  '%s',
  '-n',
  '--',
  '-e',
  '',
  ' ',
  '\t',
  '\r',
  '*',
  '~',
  '~root',
  '#x',
  'a=b',
  '; exit 99',
  '|&><',
  '{a,b}',
  '[ab]',
  '^',
  'ünïcødé 🌍 日本',
  "!'\"$`\\%\n",
]

describe.skipIf(why !== null)(`remote commands under any login shell${why ? ` (skipped: ${why})` : ''}`, { timeout: 30_000 }, () => {
  let sshd: TestSshd
  const remotes = new Map<string, SshRemote>()

  beforeAll(async () => {
    sshd = await startSshd([], present.map((s) => ({ name: s.user, shell: s.shell })))
    for (const s of present) remotes.set(s.user, (await connectRemote(sshd.host(s.user, { user: s.user }), { sshConfig: null, killGraceMs: 300 })) as SshRemote)
  }, 60_000)
  afterAll(async () => {
    await Promise.allSettled([...remotes.values()].map((r) => r.close()))
    await sshd?.stop()
  })

  for (const { user, shell } of SHELLS) {
    describe.skipIf(!existsSync(shell))(`login shell ${shell}${skipReason(shell)}`, () => {
      const r = () => remotes.get(user)!

      it('really is the login shell, and the plain POSIX-quoted line would not survive it', async () => {
        expect((await r().run(['printenv', 'SHELL'])).stdout).toBe(`${shell}\n`)
        if (!/tcsh|csh|fish/.test(shell)) return
        // The old exec string (argv quoted for sh, parsed by the login shell) garbles argv here.
        const client = await r().client()
        const args = ['a\nb', "a\\'b", 'c\\\\d']
        const raw = await new Promise<string>((resolve) => {
          client.exec(quoteArgv(['printf', '%s|', ...args]), (err, ch) => {
            if (err) return resolve(`(exec failed: ${err.message})`)
            let out = ''
            ch.on('data', (b: Buffer) => (out += b.toString()))
            ch.stderr.resume()
            ch.on('close', () => resolve(out))
          })
        })
        expect(raw).not.toBe(args.map((a) => `${a}|`).join(''))
      })

      it('delivers hostile argv byte for byte', async () => {
        const res = await r().run(['printf', '%s\\0', ...HOSTILE])
        expect(res.stdout.split('\0').slice(0, -1)).toEqual(HOSTILE)
        expect(res.stderr).toBe('')
        // The same through an explicit sh, as the pipeline's scripts run.
        const viaSh = await r().run(['sh', '-c', 'printf "%s\\0" "$@"', 'sh', ...HOSTILE])
        expect(Buffer.from(viaSh.stdout)).toEqual(Buffer.from(HOSTILE.map((a) => `${a}\0`).join('')))
      })

      it('delivers a 60 kB argument and binary-safe stdin', async () => {
        const big = `${'lorem ipsum; $x "y" `z` | '.repeat(2400)}it's\n!`
        const res = await r().run(['sh', '-c', 'printf %s "$1" | wc -c; cat | od -An -tx1 | tr -d " \\n"', 'sh', big], { stdin: Buffer.from([0, 1, 0x27, 0x0a, 0xff]) })
        expect(res.stdout).toBe(`${Buffer.byteLength(big)}\n0001270aff`)
      })

      it('refuses a command too long to send, naming the host, before opening a channel', async () => {
        const err = await r()
          .run(['printf', '%s', "'\n".repeat(30_000)])
          .catch((e: unknown) => e)
        expect((err as Error).message).toMatch(new RegExp(`^${user}: remote command too long: \\d+ bytes`))
      })

      it('reports exit codes and stderr without the PID marker', async () => {
        const res = await r().run(['sh', '-c', 'echo out; echo err >&2; exit 7'], { allowFail: true })
        expect(res).toMatchObject({ code: 7, stdout: 'out\n', stderr: 'err\n' })
      })

      it('kills the whole process group on timeout', async () => {
        const tag = `${30 + SHELLS.findIndex((s) => s.user === user)}.${process.pid % 1000}`
        const err = await r()
          .run(['sh', '-c', `sleep ${tag} & sleep ${tag}; wait`], { timeoutMs: 400 })
          .catch((e: unknown) => e)
        expect((err as Error).name).toBe('RemoteTimeoutError')
        await expect.poll(async () => (await r().run(['pgrep', '-fx', `sleep ${tag}`], { allowFail: true })).code, { timeout: 5000 }).toBe(1)
      })
    })
  }
})
