// The CLI runs from its esbuild bundle when that is fresh, from the TypeScript sources otherwise;
// the bundle itself works (bin/cli-entry.mjs, scripts/build-cli.mjs).
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { builtEntry, CLI_BUNDLE } from '../bin/cli-entry.mjs'

const ROOT = path.resolve(import.meta.dirname, '..')

function fakeRepo(): { root: string; touch: (rel: string, secondsAgo: number) => void } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'globehop-cli-entry-'))
  const touch = (rel: string, secondsAgo: number) => {
    const p = path.join(root, rel)
    mkdirSync(path.dirname(p), { recursive: true })
    writeFileSync(p, '')
    const t = new Date(Date.now() - secondsAgo * 1000)
    utimesSync(p, t, t)
    utimesSync(path.dirname(p), t, t)
  }
  return { root, touch }
}

describe('which code bin/globehop.mjs runs', () => {
  const made: string[] = []
  afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })))
  const repo = () => {
    const r = fakeRepo()
    made.push(r.root)
    r.touch('package.json', 100)
    r.touch('src/core/engine.ts', 100)
    r.touch('src/cli/main.ts', 100)
    return r
  }

  it('the sources when there is no build (a fresh clone)', () => {
    expect(builtEntry(repo().root, {})).toBeNull()
  })

  it('the build when it is newer than every source', () => {
    const r = repo()
    r.touch(CLI_BUNDLE, 10)
    expect(builtEntry(r.root, {})).toBe(path.join(r.root, CLI_BUNDLE))
  })

  it('the sources when one of them changed since the build, however deep', () => {
    const r = repo()
    r.touch(CLI_BUNDLE, 10)
    r.touch('src/core/pipeline/steps/transfer.ts', 1)
    expect(builtEntry(r.root, {})).toBeNull()
  })

  it('the sources when package.json (whose version the bundle inlines) changed', () => {
    const r = repo()
    r.touch(CLI_BUNDLE, 10)
    r.touch('package.json', 1)
    expect(builtEntry(r.root, {})).toBeNull()
  })

  it('what GLOBEHOP_CLI asks for', () => {
    const r = repo()
    r.touch(CLI_BUNDLE, 10)
    r.touch('src/shared/tour.ts', 1)
    expect(builtEntry(r.root, { GLOBEHOP_CLI: 'build' })).toBe(path.join(r.root, CLI_BUNDLE))
    r.touch(CLI_BUNDLE, 0)
    expect(builtEntry(r.root, { GLOBEHOP_CLI: 'source' })).toBeNull()
    expect(() => builtEntry(repo().root, { GLOBEHOP_CLI: 'build' })).toThrow(/npm run build/)
  })
})

describe('the CLI bundle', () => {
  // Built inside the repository's out/ so it finds resources/ and node_modules the way out/cli does.
  const outdir = path.join(ROOT, 'out', `cli-test-${process.pid}`)
  afterAll(() => rmSync(outdir, { recursive: true, force: true }))

  it('builds, and runs validate and --version in plain node (no TypeScript at run time)', () => {
    const b = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build-cli.mjs'), outdir], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
    expect(b.stderr).toBe('')
    expect(b.status).toBe(0)
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(pathToFileURL(path.join(outdir, 'main.mjs')).href)}); process.exitCode = await main(${JSON.stringify(args)})`], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
    const ok = run('validate', path.join(ROOT, 'resources/tours/world.yaml'))
    expect(ok.stdout).toMatch(/^ok: Around the world: 4 hosts/)
    expect(ok.status).toBe(0)
    const bad = run('validate', '/nonexistent/tour.yaml')
    expect(bad.status).toBe(1)
    expect(run('--version').stdout).toMatch(/^globehop \d+\.\d+\.\d+/)
  }, 90_000)
})
