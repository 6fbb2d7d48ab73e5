#!/usr/bin/env node
// The `tma-pay` command. Runs the build (dist/cli.js) when there is one; in a checkout without a build, the
// TypeScript source through tsx. TMA_PAY_CLI_FROM_SOURCE=1 picks the source even when a build exists
// (a stale dist/ would otherwise hide source changes; the tests set it).
import { existsSync } from 'node:fs'

const built = new URL('../dist/cli.js', import.meta.url)
if (existsSync(built) && process.env.TMA_PAY_CLI_FROM_SOURCE !== '1') {
  await import(built.href)
} else {
  let register
  try {
    ;({ register } = await import('tsx/esm/api'))
  } catch {
    console.error(
      'tma-pay: there is no build (dist/cli.js) and no tsx to run the source: run `npm run build` first.',
    )
    process.exit(1)
  }
  register()
  await import(new URL('../src/cli/main.ts', import.meta.url).href)
}
