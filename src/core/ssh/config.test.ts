import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import SSHConfig from 'ssh-config'
import { afterAll, describe, expect, it } from 'vitest'
import type { SshTarget } from '../../shared/tour'
import { parseJumpSpec, resolveSshTarget } from './config'

const home = mkdtempSync(path.join(os.tmpdir(), 'globehop-sshcfg-'))
afterAll(() => rmSync(home, { recursive: true, force: true }))
mkdirSync(path.join(home, '.ssh'))
for (const k of ['id_ed25519', 'lab_key', 'lab_deploy']) writeFileSync(path.join(home, '.ssh', k), 'not really a key')

const config = SSHConfig.parse(`
Host montreal
  HostName 198.51.100.13
  User deploy
  Port 2222
  IdentityFile ~/.ssh/lab_key
  IdentityFile %d/.ssh/missing
  IdentityFile %d/.ssh/lab_%r
  ProxyJump admin@bastion:2200
  UserKnownHostsFile ~/.ssh/lab_known_hosts ~/.ssh/other

Host lab-*
  HostName 198.51.100.%h
  ProxyJump none

Host bastion
  HostName 203.0.113.5
  IdentityFile ~/.ssh/lab_key

Match exec "touch ${home}/exec-ran"
  User pwned
`)
const env = { home, localUser: 'me', config }
const t = (o: Partial<SshTarget> & { host: string }): SshTarget => ({ port: 22, agent: true, ...o })

describe('resolveSshTarget', () => {
  it('skips config key files that do not exist, as ssh does', () => {
    expect(resolveSshTarget(t({ host: 'montreal' }), env).identityFiles).not.toContain(path.join(home, '.ssh', 'missing'))
  })

  it('fills everything the tour leaves out from the config', () => {
    const e = resolveSshTarget(t({ host: 'montreal' }), env)
    expect(e).toMatchObject({
      alias: 'montreal',
      hostname: '198.51.100.13',
      port: 2222,
      user: 'deploy',
      identityFiles: [path.join(home, '.ssh', 'lab_key'), path.join(home, '.ssh', 'lab_deploy')],
      identityFromTour: false,
      knownHostsFile: path.join(home, '.ssh', 'lab_known_hosts'),
    })
    expect(e.jumps).toHaveLength(1)
    expect(e.jumps[0]).toMatchObject({ alias: 'bastion', hostname: '203.0.113.5', port: 2200, user: 'admin', identityFiles: [path.join(home, '.ssh', 'lab_key')] })
  })

  it('tour fields win where the tour sets them', () => {
    const e = resolveSshTarget(t({ host: 'montreal', port: 2022, user: 'root', identityFile: '/keys/tour', jump: 'none', knownHosts: '/kh/tour' }), env)
    expect(e).toMatchObject({ hostname: '198.51.100.13', port: 2022, user: 'root', identityFiles: ['/keys/tour'], identityFromTour: true, knownHostsFile: '/kh/tour', jumps: [] })
  })

  it('expands %h in HostName and honours ProxyJump none', () => {
    expect(resolveSshTarget(t({ host: 'lab-11' }), env)).toMatchObject({ hostname: '198.51.100.lab-11', jumps: [] })
  })

  it('falls back to the local user, port 22, existing default keys and ~/.ssh/known_hosts', () => {
    expect(resolveSshTarget(t({ host: '198.51.100.11' }), env)).toEqual({
      alias: '198.51.100.11',
      hostname: '198.51.100.11',
      port: 22,
      user: 'me',
      identityFiles: [path.join(home, '.ssh', 'id_ed25519')],
      identityFromTour: false,
      agent: true,
      knownHostsFile: path.join(home, '.ssh', 'known_hosts'),
      jumps: [],
    })
    expect(resolveSshTarget(t({ host: 'x' }), { home, localUser: 'me', config: null }).user).toBe('me')
  })

  it('never runs Match exec commands', () => {
    expect(resolveSshTarget(t({ host: 'anything' }), env).user).toBe('me')
    expect(existsSync(path.join(home, 'exec-ran'))).toBe(false)
  })

  it('chains jump specs like ssh -J a,b', () => {
    const e = resolveSshTarget(t({ host: '198.51.100.11', jump: 'montreal,root@[2001:db8::1]:2201' }), env)
    expect(e.jumps.map((j) => `${j.user}@${j.hostname}:${j.port}`)).toEqual(['admin@203.0.113.5:2200', 'deploy@198.51.100.13:2222', 'root@2001:db8::1:2201'])
  })
})

describe('parseJumpSpec', () => {
  it('reads user, host and port', () => {
    expect(parseJumpSpec('a')).toEqual({ host: 'a' })
    expect(parseJumpSpec('u@a:22')).toEqual({ user: 'u', host: 'a', port: 22 })
    expect(parseJumpSpec('[::1]:2')).toEqual({ host: '::1', port: 2 })
    expect(() => parseJumpSpec('a:b:c')).toThrow(/bad jump host/)
  })
})
