// `globehop lab up|down|status|exec|link`: the one-machine testbed (lab/).
import { parseArgs } from 'node:util'
import { FLOATING_IP, formatStatus, GAME_PORT, labDown, labExec, labLink, labRequirements, labStatus, labUp, LAB_HOSTS } from '../../lab/index'
import { GameTestClient } from '../../lab/test-client'
import { formatDuration } from '../shared/format'
import { RUNTIME_NAMES, type RuntimeName } from '../shared/tour'

export const LAB_USAGE = `usage:
  globehop lab up [--no-shaping] [--bundle DIR] [--cache DIR] [--runtime ${RUNTIME_NAMES.join("|")}]
  globehop lab down
  globehop lab status [--json]
  globehop lab exec HOST -- CMD [ARG...]
  globehop lab link HOST [--delay MS] [--rate MBIT|none] [--off]
  globehop lab client [--name N] [--seconds S]   (a scripted player holding a slot; Ctrl-C to leave)
hosts: ${LAB_HOSTS.map((h) => h.name).join(', ')}
--delay is one-way, added in each direction (RTT from the app grows by twice it).
Cache: --cache, else $GLOBEHOP_LAB_CACHE, else /var/cache/globehop-lab.`

export type LabCommand =
  | { cmd: 'up'; noShaping: boolean; bundle?: string; cacheDir?: string; runtime?: RuntimeName }
  | { cmd: 'down' }
  | { cmd: 'status'; json: boolean }
  | { cmd: 'exec'; host: string; argv: string[] }
  | { cmd: 'link'; host: string; delayMs?: number; rateMbit?: number | null; off: boolean }
  | { cmd: 'client'; name: string; seconds: number | null }

export class LabUsageError extends Error {}

function hostArg(v: string | undefined): string {
  if (!v) throw new LabUsageError('missing HOST')
  if (!LAB_HOSTS.some((h) => h.name === v)) throw new LabUsageError(`unknown host "${v}"; hosts are: ${LAB_HOSTS.map((h) => h.name).join(', ')}`)
  return v
}

function numberArg(name: string, v: string, min: number): number {
  const n = Number(v)
  if (!Number.isFinite(n) || n < min || v.trim() === '') throw new LabUsageError(`${name} must be a number >= ${min}, got "${v}"`)
  return n
}

/** Parses `lab ...` arguments (without the leading "lab"); throws LabUsageError. */
export function parseLabArgs(argv: readonly string[]): LabCommand {
  const [sub, ...rest] = argv
  switch (sub) {
    case 'up': {
      const { values } = parseArgs({ args: rest, options: { 'no-shaping': { type: 'boolean' }, bundle: { type: 'string' }, cache: { type: 'string' }, runtime: { type: 'string' } }, strict: true, allowPositionals: false })
      const runtime = values.runtime
      if (runtime !== undefined && !(RUNTIME_NAMES as readonly string[]).includes(runtime)) throw new LabUsageError(`--runtime: "${runtime}" is not one of ${RUNTIME_NAMES.join(', ')}`)
      return { cmd: 'up', noShaping: values['no-shaping'] ?? false, bundle: values.bundle, cacheDir: values.cache, ...(runtime ? { runtime: runtime as RuntimeName } : {}) }
    }
    case 'down':
      if (rest.length > 0) throw new LabUsageError(`lab down takes no arguments, got: ${rest.join(' ')}`)
      return { cmd: 'down' }
    case 'status': {
      const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } }, strict: true, allowPositionals: false })
      return { cmd: 'status', json: values.json ?? false }
    }
    case 'exec': {
      const sep = rest.indexOf('--')
      const before = sep < 0 ? rest.slice(0, 1) : rest.slice(0, sep)
      const after = sep < 0 ? rest.slice(1) : rest.slice(sep + 1)
      if (before.length !== 1) throw new LabUsageError('usage: lab exec HOST -- CMD [ARG...]')
      return { cmd: 'exec', host: hostArg(before[0]), argv: after }
    }
    case 'link': {
      const { values, positionals } = parseArgs({ args: rest, options: { delay: { type: 'string' }, rate: { type: 'string' }, off: { type: 'boolean' } }, strict: true, allowPositionals: true })
      if (positionals.length !== 1) throw new LabUsageError('usage: lab link HOST [--delay MS] [--rate MBIT|none] [--off]')
      const off = values.off ?? false
      if (off && (values.delay !== undefined || values.rate !== undefined)) throw new LabUsageError('--off cannot be combined with --delay or --rate')
      if (!off && values.delay === undefined && values.rate === undefined) throw new LabUsageError('lab link needs --delay, --rate or --off')
      const rate = values.rate === undefined ? undefined : values.rate === 'none' ? null : numberArg('--rate', values.rate, 0.01)
      return { cmd: 'link', host: hostArg(positionals[0]), delayMs: values.delay === undefined ? undefined : numberArg('--delay', values.delay, 0), rateMbit: rate, off }
    }
    case 'client': {
      const { values } = parseArgs({ args: rest, options: { name: { type: 'string' }, seconds: { type: 'string' } }, strict: true, allowPositionals: false })
      return { cmd: 'client', name: values.name ?? 'globehop-client', seconds: values.seconds === undefined ? null : numberArg('--seconds', values.seconds, 1) }
    }
    default:
      throw new LabUsageError(sub ? `unknown lab command "${sub}"` : 'missing lab command')
  }
}

export async function runLabCli(argv: string[]): Promise<number> {
  let c: LabCommand
  try {
    c = parseLabArgs(argv)
  } catch (err) {
    if (err instanceof LabUsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`globehop lab: ${(err as Error).message}\n\n${LAB_USAGE}`)
      return 2
    }
    throw err
  }
  if (c.cmd !== 'status' && c.cmd !== 'client') {
    const why = labRequirements()
    if (why) {
      console.error(`globehop lab: ${why}`)
      return 1
    }
  }
  switch (c.cmd) {
    case 'up': {
      const st = await labUp({ noShaping: c.noShaping, bundle: c.bundle, cacheDir: c.cacheDir, runtime: c.runtime, onProgress: (l) => console.error(l) })
      process.stdout.write(formatStatus(st))
      return 0
    }
    case 'down':
      await labDown()
      console.error('lab is down')
      return 0
    case 'status': {
      const st = await labStatus()
      if (c.json) process.stdout.write(JSON.stringify(st, null, 2) + '\n')
      else process.stdout.write(formatStatus(st))
      return st?.up ? 0 : 3
    }
    case 'exec':
      return labExec(c.host, c.argv)
    case 'client':
      return holdSlot(c.name, c.seconds)
    case 'link': {
      const link = await labLink(c.host, { delayMs: c.delayMs, rateMbit: c.rateMbit, off: c.off })
      console.log(`${c.host}: ${link.delayMs} ms each way (RTT +${2 * link.delayMs} ms), ${link.rateMbit === null ? 'unlimited' : `${link.rateMbit} Mbit/s`}`)
      return 0
    }
  }
}

/** Connects a scripted player to the lab's game and prints its status every 3 s until done. */
async function holdSlot(name: string, seconds: number | null): Promise<number> {
  const c = new GameTestClient()
  try {
    await c.connect(FLOATING_IP, GAME_PORT, name)
  } catch (err) {
    console.error(`globehop lab client: ${(err as Error).message}`)
    return 1
  }
  console.log(`"${c.name}" joined ${FLOATING_IP}:${GAME_PORT}`)
  const until = seconds === null ? Infinity : Date.now() + seconds * 1000
  let stop = false
  const onSig = () => (stop = true)
  process.once('SIGINT', onSig)
  try {
    while (!stop && c.connected && Date.now() < until) {
      await new Promise((r) => setTimeout(r, Math.min(3000, Math.max(0, until - Date.now()))))
      const age = c.lastServerPacketAt === null ? 'never' : `${formatDuration(Date.now() - c.lastServerPacketAt)} ago`
      console.log(`${c.connected ? 'connected' : 'disconnected'}; last server packet ${age}; ${c.serverPackets} packets`)
    }
  } finally {
    process.off('SIGINT', onSig)
    await c.close()
  }
  console.log(`left: ${c.disconnectReason ?? 'done'}`)
  return c.disconnectReason === 'closed by us' ? 0 : 1
}
