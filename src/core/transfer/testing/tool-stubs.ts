// Stand-ins for the tools the one-way copy runs on both hosts, for its unit tests.
import { execSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

/** A cksum on PATH that logs what it is asked to sum (the sender's and the receiver's calls alike), then sums it. */
export function loggingCksum(): { env: NodeJS.ProcessEnv; calls: () => string[] } {
  const bin = mkdtempSync(path.join(tmpdir(), 'gh-ck-'))
  const log = path.join(bin, 'calls')
  writeFileSync(path.join(bin, 'cksum'), `#!/bin/sh\necho "$*" >>'${log}'\nexec ${execSync('command -v cksum', { shell: '/bin/sh' }).toString().trim()} "$@"\n`)
  chmodSync(path.join(bin, 'cksum'), 0o755)
  return { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) }
}

/** A PERL5LIB dir where zlib's module fails to load, as `-M` or `require` (Debian's perl-base alone). */
export function perlLibWithoutZlib(): string {
  const lib = mkdtempSync(path.join(tmpdir(), 'gh-perl-'))
  mkdirSync(path.join(lib, 'Compress', 'Raw'), { recursive: true })
  writeFileSync(path.join(lib, 'Compress', 'Raw', 'Zlib.pm'), 'die "Can\'t locate Compress/Raw/Zlib.pm in @INC (perl-base only)\\n";\n')
  return lib
}
