// The layering rule is only worth something if lint really fails on a break: check that it does.
import path from 'node:path'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

const eslint = new ESLint()

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath })
  return result!.messages.map((m) => m.ruleId ?? m.message)
}

// The allow-list, written out here from docs/architecture.md rather than read from the lint config,
// so a wrong config fails this test instead of agreeing with it.
const LAYERS = {
  shared: { probe: 'src/shared/layering-probe.ts', target: 'src/shared/contract.ts', may: [] },
  core: { probe: 'src/core/layering-probe.ts', target: 'src/core/engine.ts', may: ['shared'] },
  server: { probe: 'src/server/layering-probe.ts', target: 'src/server/serve.ts', may: ['core', 'shared'] },
  main: { probe: 'src/main/layering-probe.ts', target: 'src/main/policy.ts', may: ['core', 'shared'] },
  preload: { probe: 'src/preload/layering-probe.ts', target: 'src/preload/index.ts', may: ['shared'] },
  renderer: { probe: 'src/renderer/src/layering-probe.ts', target: 'src/renderer/src/api.ts', may: ['shared'] },
  cli: { probe: 'src/cli/layering-probe.ts', target: 'src/cli/usage.ts', may: ['core', 'shared', 'server', 'preload', 'lab'] },
  lab: { probe: 'lab/layering-probe.ts', target: 'lab/testing.ts', may: ['core', 'shared'] },
} as const satisfies Record<string, { probe: string; target: string; may: readonly string[] }>
type Layer = keyof typeof LAYERS
const NAMES = Object.keys(LAYERS) as Layer[]

/** An import of `to`'s file from `from`'s probe file, as a relative specifier without extension. */
function importOf(from: Layer, to: Layer, name = 'x'): string {
  let spec = path.relative(path.dirname(LAYERS[from].probe), LAYERS[to].target).replace(/\.tsx?$/, '')
  if (!spec.startsWith('.')) spec = `./${spec}`
  return `import * as ${name} from '${spec}'\nexport const y_${name} = ${name}\n`
}

const forbidden = NAMES.flatMap((from) => NAMES.filter((to) => to !== from && !(LAYERS[from].may as readonly string[]).includes(to)).map((to) => [from, to] as const))

describe('layering lint: the allow-list', () => {
  it('has a break to prove for every layer but the CLI (which may import all but main and the renderer)', () => {
    expect(forbidden.filter(([from]) => from === 'shared').map(([, to]) => to).sort()).toEqual(NAMES.filter((n) => n !== 'shared').sort())
    expect(forbidden.filter(([from]) => from === 'cli').map(([, to]) => to).sort()).toEqual(['main', 'renderer'])
    expect(forbidden).toHaveLength(42)
  })

  it.each(forbidden)('fails %s importing %s', async (from, to) => {
    expect(await ruleIds(importOf(from, to), LAYERS[from].probe)).toContain('boundaries/dependencies')
  })

  it.each(NAMES)('passes a clean %s file that imports its own layer and everything it may', async (from) => {
    const code = [importOf(from, from, 'own'), ...LAYERS[from].may.map((to) => importOf(from, to as Layer, to))].join('')
    expect(await ruleIds(code, LAYERS[from].probe)).toEqual([])
  })

  it('keeps the benches and the browser tests out of every layer, tests included', async () => {
    expect(await ruleIds("import * as x from '../../bench/run.mts'\nexport const y = x\n", 'src/core/layering-probe.ts')).toContain('boundaries/dependencies')
    expect(await ruleIds("import * as x from '../../e2e/lab-setup'\nexport const y = x\n", 'src/server/layering-probe.test.ts')).toContain('boundaries/dependencies')
  })

  it('lets tests use the lab harness, but not production code of the same layer', async () => {
    const lab = "import * as x from '../../lab/testing'\nexport const y = x\n"
    expect(await ruleIds(lab, 'src/core/layering-probe.test.ts')).toEqual([])
    expect(await ruleIds(lab, 'src/core/layering-probe.ts')).toContain('boundaries/dependencies')
  })
})

describe('layering lint: electron and Node', () => {
  it.each(['src/core/engine-probe.ts', 'src/shared/probe.ts', 'src/server/probe.ts', 'src/cli/probe.ts', 'src/renderer/src/probe.ts'])('refuses electron in %s', async (file) => {
    expect(await ruleIds("import { app } from 'electron'\nexport const x = app\n", file)).toContain('no-restricted-imports')
  })

  it('refuses Node in the renderer and in shared', async () => {
    expect(await ruleIds("import fs from 'node:fs'\nexport const x = fs\n", 'src/renderer/src/probe.ts')).toContain('no-restricted-imports')
    expect(await ruleIds("import fs from 'node:fs'\nexport const x = fs\n", 'src/shared/probe.ts')).toContain('no-restricted-imports')
  })

  it('allows electron in the main process and the preload', async () => {
    expect(await ruleIds("import { app } from 'electron'\nexport const x = app\n", 'src/main/probe.ts')).toEqual([])
    expect(await ruleIds("import { contextBridge } from 'electron'\nexport const x = contextBridge\n", 'src/preload/probe.ts')).toEqual([])
  })
})
