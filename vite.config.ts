import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url))

// Everything a user installs beside us stays external: the browser entries must not inline React,
// and the server entry must not inline PGlite's WASM or grammY.
const external = [
  /^node:/,
  /^react($|\/)/,
  /^react-dom($|\/)/,
  /^@tanstack\//,
  /^zustand($|\/)/,
  /^@tma\.js\//,
  'hono',
  /^hono\//,
  /^@hono\//,
  'grammy',
  /^grammy\//,
  /^@electric-sql\//,
  'postgres',
  'prom-client',
]

export default defineConfig({
  resolve: {
    alias: [
      { find: /^tma-pay$/, replacement: src('core/index.ts') },
      { find: /^tma-pay\/live$/, replacement: src('core/live.ts') },
      { find: /^tma-pay\/react$/, replacement: src('react/index.ts') },
      { find: /^tma-pay\/react\/locales$/, replacement: src('react/locales.ts') },
      { find: /^tma-pay\/react\/subscriptions$/, replacement: src('react/subscriptions.ts') },
      { find: /^tma-pay\/server$/, replacement: src('server/index.ts') },
      { find: /^tma-pay\/testing$/, replacement: src('testing/index.ts') },
    ],
  },
  build: {
    target: 'es2022',
    minify: false,
    sourcemap: true,
    lib: {
      entry: {
        index: src('core/index.ts'),
        live: src('core/live.ts'),
        react: src('react/index.ts'),
        'react-locales': src('react/locales.ts'),
        'react-subscriptions': src('react/subscriptions.ts'),
        server: src('server/index.ts'),
        testing: src('testing/index.ts'),
        'testing-browser': src('testing/browser.ts'),
        cli: src('cli/main.ts'),
      },
      formats: ['es'],
    },
    rolldownOptions: {
      external,
      output: {
        // The order model the server shares with the browser kit is a chunk of its own: left to itself, the
        // bundler put order.ts in the kit's chunk, and tma-pay/server then imported zustand.
        codeSplitting: { groups: [{ name: 'order-model', test: /src\/core\/order\.ts$/ }] },
      },
      // src/react's files each start with 'use client' (for Next.js); the react entry's chunk keeps it at
      // its top, which is all a bundler of the app needs, so the per-module warning is noise.
      onLog(level, log, handler) {
        if (log.code !== 'MODULE_LEVEL_DIRECTIVE') handler(level, log)
      },
    },
  },
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
