// Bundles the CLI (src/cli and what it imports: core, server, shared, the lab) into out/cli/ with
// esbuild, so `globehop` starts without compiling TypeScript. npm packages stay imports (they are
// installed beside it); the dynamically imported subcommands become their own chunks.
// Usage: node scripts/build-cli.mjs [OUTDIR]   (default out/cli)
import { rmSync } from 'node:fs'
import path from 'node:path'
import { build } from 'esbuild'

const root = path.resolve(import.meta.dirname, '..')
const outdir = path.resolve(root, process.argv[2] ?? 'out/cli')
rmSync(outdir, { recursive: true, force: true })
const t0 = performance.now()
await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  packages: 'external',
  outExtension: { '.js': '.mjs' },
  // Chunks beside main.mjs: code that finds the repository from import.meta.dirname (browser-host's
  // ROOT, resourcePath) sees the same depth wherever esbuild puts it.
  chunkNames: '[name]-[hash]',
  sourcemap: 'linked',
  logLevel: 'warning',
})
console.log(`cli bundle: ${path.relative(root, outdir)}/main.mjs in ${Math.round(performance.now() - t0)} ms`)
