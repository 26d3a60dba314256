// The layering rule is only worth something if lint really fails on a break: check that it does.
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

const eslint = new ESLint()

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath })
  return result!.messages.map((m) => m.ruleId ?? m.message)
}

describe('layering lint', () => {
  it.each(['src/core/engine-probe.ts', 'src/shared/probe.ts', 'src/server/probe.ts', 'src/cli/probe.ts', 'src/renderer/src/probe.ts'])('refuses electron in %s', async (file) => {
    expect(await ruleIds("import { app } from 'electron'\nexport const x = app\n", file)).toContain('no-restricted-imports')
  })

  it('refuses Node and core in the renderer', async () => {
    expect(await ruleIds("import fs from 'node:fs'\nexport const x = fs\n", 'src/renderer/src/probe.ts')).toContain('no-restricted-imports')
    expect(await ruleIds("import { Engine } from '../../core/engine'\nexport const x = Engine\n", 'src/renderer/src/probe.ts')).toContain('no-restricted-imports')
  })

  it('allows electron in the main process and the preload', async () => {
    expect(await ruleIds("import { app } from 'electron'\nexport const x = app\n", 'src/main/probe.ts')).toEqual([])
    expect(await ruleIds("import { contextBridge } from 'electron'\nexport const x = contextBridge\n", 'src/preload/probe.ts')).toEqual([])
  })
})
