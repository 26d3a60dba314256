#!/usr/bin/env node
// The globehop CLI. Runs the bundle `npm run build` writes (out/cli/, no TypeScript compiler at run
// time) when it is at least as new as the sources, else the TypeScript sources through tsx: the CLI,
// the browser host and the engine are always the same code the app bundles (bin/cli-entry.mjs).
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { builtEntry } from './cli-entry.mjs'

const bundle = builtEntry(path.resolve(import.meta.dirname, '..'))
let main
if (bundle) {
  ;({ main } = await import(pathToFileURL(bundle).href))
} else {
  const { register } = await import('tsx/esm/api')
  register()
  ;({ main } = await import('../src/cli/main.ts'))
}
process.exitCode = await main(process.argv.slice(2))
