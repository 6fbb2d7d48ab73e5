#!/usr/bin/env node
// Size of what a Mini App ships for tma-pay, bundled and minified with esbuild, peers external, gzipped:
// - typical: what most apps import (createPayClient, PayProvider, PayButton), tree-shaken as a bundler does;
// - everything: every export of `tma-pay` and `tma-pay/react`.
// Fails above either budget.
//
//   node scripts/size.mjs            # prints both figures; exit 1 above a budget
//
// Measured the same way: @stripe/react-stripe-js 6293 B, @paypal/react-paypal-js 7.8 KB,
// @tonconnect/ui-react 128 KB (issues 3 and 14).
//
// Budgets (issue 14): typical 5120 B, everything 6144 B. What a typical app does not call stays out of its
// bundle: the live order stream (`tma-pay/live`), other languages' labels (`tma-pay/react/locales`), managing a
// subscription (`tma-pay/react/subscriptions`), and the hooks it does not use. The figure of every entry together
// is printed too, with no budget: no app imports them all.
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const budgets = { typical: 5120, everything: 6144 }
const entries = {
  typical:
    "export { createPayClient } from './src/core/index.ts'\nexport { PayButton, PayProvider } from './src/react/index.ts'\n",
  everything: "export * from './src/core/index.ts'\nexport * from './src/react/index.ts'\n",
  'all entries':
    "export * from './src/core/index.ts'\nexport * from './src/react/index.ts'\nexport * from './src/core/live.ts'\n" +
    "export * from './src/react/locales.ts'\nexport * from './src/react/subscriptions.ts'\n",
}
const peers = [
  'react',
  'react-dom',
  'react/jsx-runtime',
  '@tanstack/react-query',
  'zustand',
  'zustand/*',
  '@tma.js/sdk',
  '@tma.js/sdk-react',
]

async function measure(contents) {
  const result = await build({
    stdin: { contents, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    external: peers,
    write: false,
    logLevel: 'error',
  })
  const code = result.outputFiles[0].contents
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length }
}

let over = false
for (const [name, contents] of Object.entries(entries)) {
  const { minified, gzipped } = await measure(contents)
  const budget = budgets[name]
  console.log(
    `${name.padEnd(11)} ${(minified / 1000).toFixed(2)} KB minified, ${gzipped} B min+gzip ${budget ? `(budget ${budget} B)` : '(no budget)'}`,
  )
  if (budget && gzipped > budget) {
    console.error(`size: ${name} is over its budget by ${gzipped - budget} bytes`)
    over = true
  }
}
console.log(`peers external: ${peers.join(', ')}`)
console.log('reproduce: node scripts/size.mjs')
if (over) process.exit(1)
