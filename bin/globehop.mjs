#!/usr/bin/env node
// The globehop CLI. Runs the TypeScript sources through tsx so the CLI, the browser host and the
// engine are the same code the app bundles.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
