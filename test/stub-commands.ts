// Stand-ins for ssh, ping and the like, first on PATH, that record how they were called: tests run
// the real command lines (sh scripts, rsync) and read back the argv each tool received.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

export interface StubCall {
  name: string
  args: string[]
}

/** `scripts` maps a command name to the shell run after its call was logged (default: `exit 0`). */
export function stubCommands(scripts: Record<string, string>): { env: NodeJS.ProcessEnv; calls: () => StubCall[] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'gh-stub-'))
  const log = path.join(dir, 'calls.log')
  for (const [name, body] of Object.entries(scripts)) {
    const file = path.join(dir, name)
    // One line per call: the name, then each argument after a unit separator (0x1f).
    writeFileSync(file, `#!/bin/sh\n{ printf '%s' "${name}"; printf '\\037%s' "$@"; printf '\\n'; } >>"${log}"\n${body || 'exit 0'}\n`)
    chmodSync(file, 0o755)
  }
  return {
    env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}` },
    calls: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => {
              const [name, ...args] = l.split('\u001f')
              return { name: name!, args }
            })
        : [],
  }
}
