// Where and how to log in to a tour host: the tour's `ssh` fields merged with ~/.ssh/config.
//
// The rule, as with `ssh ALIAS`: the tour's `ssh.host` is the name looked up in ~/.ssh/config
// (Host patterns), and everything the tour sets itself wins over what the config says:
// - HostName: the config's HostName replaces ssh.host as the address to connect to (the tour's
//   `host` is what you would type after `ssh`); otherwise ssh.host is the address.
// - User: tour `user` > config User > the local user name.
// - Port: a tour port other than 22 wins; the tour loader fills 22 when the tour says nothing,
//   so a config Port applies over 22 (write the port in the tour to be sure).
// - IdentityFile: tour `identityFile` (only that one) > config IdentityFile(s) > OpenSSH's
//   default key files that exist (~/.ssh/id_ed25519, id_ecdsa, id_rsa).
// - ProxyJump: tour `jump` > config ProxyJump (`none` disables); each jump host is itself
//   looked up in the config, like ssh does, and the tour's identityFile is tried there too.
// - known_hosts: tour `knownHosts` > config UserKnownHostsFile (first) > ~/.ssh/known_hosts.
// `Match exec` blocks are not evaluated (no shell commands run from a config file), and
// `Include` is not followed (the ssh-config package does not read included files).
import { existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import SSHConfig from 'ssh-config'
import type { SshTarget } from '../../shared/tour'
import { MAX_SSH_CONFIG, readCappedSync } from './read-capped'

export interface SshEndpoint {
  /** The name the tour (or a ProxyJump spec) used. */
  alias: string
  /** Address to connect to. */
  hostname: string
  port: number
  user: string
  /** Private keys to try, in order. `identityFromTour` says the tour named it. */
  identityFiles: string[]
  identityFromTour: boolean
  agent: boolean
  knownHostsFile: string
  /** Jump hosts, outermost first. */
  jumps: SshEndpoint[]
}

export interface ResolveEnv {
  home?: string
  localUser?: string
  /** Parsed ~/.ssh/config; null when there is none. */
  config?: SSHConfig | null
}

/** Reads and parses an ssh config file (a regular file, at most 1 MiB); null when it does not exist. */
export function loadSshConfig(file = path.join(os.homedir(), '.ssh', 'config')): SSHConfig | null {
  let text: string
  try {
    text = readCappedSync('ssh', 'config file', file, MAX_SSH_CONFIG).toString('utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  return SSHConfig.parse(text)
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}
function all(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

/** OpenSSH's percent tokens and `~` (ssh_config(5) TOKENS), the few that make sense here. */
function expand(s: string, t: { home: string; localUser: string; host: string; user: string; alias: string }): string {
  const withTokens = s.replace(/%([%dhunr])/g, (_m, c: string) => ({ '%': '%', d: t.home, h: t.host, u: t.localUser, n: t.alias, r: t.user })[c] ?? '')
  return withTokens.startsWith('~/') ? path.join(t.home, withTokens.slice(2)) : withTokens === '~' ? t.home : withTokens
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa']

/** `[user@]host[:port]`, `[user@][v6addr]:port`. */
export function parseJumpSpec(spec: string): { user?: string; host: string; port?: number } {
  let rest = spec.trim()
  let user: string | undefined
  const at = rest.lastIndexOf('@')
  if (at > 0) {
    user = rest.slice(0, at)
    rest = rest.slice(at + 1)
  }
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest)
  if (bracket) return { user, host: bracket[1]!, port: bracket[2] ? Number(bracket[2]) : undefined }
  const m = /^([^:]+)(?::(\d+))?$/.exec(rest)
  if (!m) throw new Error(`bad jump host "${spec}": expected [user@]host[:port]`)
  return { user, host: m[1]!, port: m[2] ? Number(m[2]) : undefined }
}

/** Merges the tour's ssh fields with the ssh config (see the rule at the top of this file). */
export function resolveSshTarget(target: SshTarget, env: ResolveEnv = {}, depth = 0): SshEndpoint {
  if (depth > 8) throw new Error(`ProxyJump chain deeper than 8 at "${target.host}" (a loop?)`)
  const home = env.home ?? os.homedir()
  const localUser = env.localUser ?? os.userInfo().username
  const cfg = env.config?.compute(target.host, { ignoreCase: true, matchExec: false }) ?? {}
  const alias = target.host
  const tokens0 = { home, localUser, host: alias, user: '', alias }
  const hostname = cfg.hostname ? expand(first(cfg.hostname)!, tokens0) : alias
  const cfgPort = Number(first(cfg.port))
  const port = target.port !== 22 ? target.port : Number.isInteger(cfgPort) && cfgPort > 0 ? cfgPort : 22
  const user = target.user ?? first(cfg.user) ?? localUser
  const tokens = { home, localUser, host: hostname, user, alias }

  let identityFiles: string[]
  const identityFromTour = !!target.identityFile
  if (target.identityFile) identityFiles = [expand(target.identityFile, tokens)]
  else {
    const fromCfg = all(cfg.identityfile).map((f) => expand(f, tokens))
    identityFiles = fromCfg.length > 0 ? fromCfg : DEFAULT_KEYS.map((k) => path.join(home, '.ssh', k))
    // ssh skips key files that are not there; so do we (an explicit tour key must exist: see session).
    identityFiles = identityFiles.filter((f) => existsSync(f))
  }

  const knownHostsFile = target.knownHosts ?? (cfg.userknownhostsfile ? expand(all(cfg.userknownhostsfile)[0]!.split(/\s+/)[0]!, tokens) : path.join(home, '.ssh', 'known_hosts'))

  const jumpSpec = target.jump ?? first(cfg.proxyjump)
  const jumps: SshEndpoint[] = []
  if (jumpSpec && jumpSpec.toLowerCase() !== 'none') {
    jumpSpec.split(',').forEach((spec, i) => {
      const j = parseJumpSpec(spec)
      // A jump host gets the config's settings for its own name; the tour's known_hosts file
      // (if any) still applies, since that is where the tour's author put host keys.
      const jt: SshTarget = { host: j.host, port: j.port ?? 22, user: j.user, agent: target.agent, knownHosts: target.knownHosts }
      const resolved = resolveSshTarget(jt, env, depth + 1)
      // The tour's key is also tried on its jump hosts, after the jump host's own keys.
      const tourKey = target.identityFile ? expand(target.identityFile, tokens) : undefined
      if (tourKey && !resolved.identityFiles.includes(tourKey)) resolved.identityFiles.push(tourKey)
      // As `ssh -J a,b`: only the first hop's own ProxyJump (from the config) applies; each
      // later hop is reached through the one before it.
      jumps.push(...(i === 0 ? resolved.jumps : []), { ...resolved, jumps: [] })
    })
  }
  return { alias, hostname, port, user, identityFiles, identityFromTour, agent: target.agent, knownHostsFile, jumps }
}
