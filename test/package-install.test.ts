// The package as a user gets it: this checkout built and packed (`npm pack`), installed into a new Node project
// with npm's default peer handling (no optional peer installed), outside this repo. There tma-pay/server and
// tma-pay/testing load with no React, no zustand and no @tma.js/sdk and serve a payment; tma-pay (the client)
// loads; require() works, and TypeScript agrees for a CommonJS project; a missing peer says what to install;
// the README's simulator tests run under vitest as written; and the server smoke test runs under Bun too.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshPostgresDatabase } from './helpers/databases'
import { devVersion, emptyProject, npmInstall, packTarball, root, run } from './helpers/package-project'
import { sectionBlocks } from './helpers/readme'

// The server's whole path, from the published entries only: the simulator, a PostgreSQL store, @hono/node-server
// (a dependency of tma-pay), the catalog, an order with signed init data, a payment whose webhook pays it.
const smoke = `
import { serve } from '@hono/node-server'
import { createPayServer, postgresStore } from 'tma-pay/server'
import { createTelegramSimulator } from 'tma-pay/testing'

const sim = await createTelegramSimulator({ recordDir: false })
const pay = createPayServer({
  botToken: sim.botToken,
  apiRoot: sim.url,
  webhookSecret: 'smoke-secret',
  products: [{ id: 'magic-book', title: 'Magic Book', description: 'A book of spells.', amount: 50 }],
  store: postgresStore(process.env.DATABASE_URL),
  logger: { info() {}, warn() {}, error: console.error },
  reconcile: false,
})
await pay.ready()
const server = await new Promise((resolve) => {
  const listening = serve({ fetch: pay.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(listening))
})
const url = 'http://127.0.0.1:' + server.address().port
await pay.telegram.setWebhook(url + '/telegram/webhook', { secret_token: 'smoke-secret' })
const products = await (await fetch(url + '/products')).json()
const created = await fetch(url + '/orders', {
  method: 'POST',
  headers: { authorization: 'tma ' + sim.signInitData(1001), 'content-type': 'application/json' },
  body: JSON.stringify({ productId: 'magic-book' }),
})
const order = await created.json()
const payment = await sim.pay(order.invoiceUrl, { userId: 1001 })
await sim.idle()
const after = await (await fetch(url + '/orders/' + order.id, { headers: { authorization: 'tma ' + sim.signInitData(1001) } })).json()
console.log(JSON.stringify({
  runtime: typeof Bun === 'undefined' ? 'node' : 'bun',
  products: products.data.map((p) => p.id),
  created: created.status,
  outcome: payment.outcome,
  status: after.status,
}))
server.close()
await pay.close()
await sim.close()
`

const smokeResult = { products: ['magic-book'], created: 201, outcome: 'paid', status: 'paid' }

/** The Bun binary: TMA_PAY_BUN, the one scripts/ci-deps.sh installs into .tools/, or bun on PATH. */
function findBun(): string | undefined {
  const candidates = [
    process.env.TMA_PAY_BUN,
    join(root, '.tools/node_modules/@oven/bun-linux-x64/bin/bun'),
    'bun',
  ].filter((candidate): candidate is string => !!candidate)
  return candidates.find((candidate) => run(candidate, ['--version'], { timeoutMs: 10_000 }).status === 0)
}

describe('the packed package in a new Node project', () => {
  let project: ReturnType<typeof emptyProject>
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>
  const node = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, args, { cwd: project.dir, timeoutMs: 60_000, env })
  const write = (name: string, text: string) => writeFileSync(join(project.dir, name), text)
  const installed = (name: string) => existsSync(join(project.dir, 'node_modules', name, 'package.json'))

  beforeAll(async () => {
    project = emptyProject('node-app')
    const tarball = packTarball(project.dir)
    npmInstall(project.dir, [tarball])
    database = await freshPostgresDatabase()
  }, 400_000)
  afterAll(async () => {
    project?.remove()
    await database?.drop()
  })

  it('gets none of the optional peers, and the server libraries as dependencies', () => {
    for (const peer of ['react', 'react-dom', '@tanstack/react-query', '@tma.js/sdk', '@electric-sql/pglite'])
      expect(installed(peer), peer).toBe(false)
    for (const dependency of ['hono', '@hono/node-server', 'grammy', 'postgres', 'zustand'])
      expect(installed(dependency), dependency).toBe(true)
  })

  it('loads tma-pay/server and tma-pay/testing with no zustand either, and serves a payment', () => {
    write('smoke.mjs', smoke)
    // zustand is a dependency (the client's pending-payment store): hidden, it proves the server never loads it.
    const zustand = join(project.dir, 'node_modules/zustand')
    renameSync(zustand, `${zustand}.hidden`)
    try {
      const result = node(['smoke.mjs'], { DATABASE_URL: database.url })
      expect(result.status, result.output).toBe(0)
      expect(JSON.parse(result.stdout)).toEqual({ runtime: 'node', ...smokeResult })
    } finally {
      renameSync(`${zustand}.hidden`, zustand)
    }
  })

  it('loads tma-pay (the client) without @tma.js/sdk; the entries that need a peer name it', async () => {
    write(
      'peers.mjs',
      `
const report = {}
const { createPayClient } = await import('tma-pay')
report.client = typeof createPayClient({ baseUrl: 'http://127.0.0.1:1', initData: 'x' }).createOrder
report.live = typeof (await import('tma-pay/live')).liveOrderStream
try { await import('tma-pay/react') } catch (error) { report.react = error.message }
const { mockMiniApp } = await import('tma-pay/testing')
report.mockMiniApp = await mockMiniApp().then(() => 'mocked', (error) => error.message)
const { createPayServer, pgliteStore } = await import('tma-pay/server')
const pay = createPayServer({
  botToken: '1:a', webhookSecret: 'secret', reconcile: false, logger: { info() {}, warn() {}, error() {} },
  products: [{ id: 'a', title: 'A', description: 'A.', amount: 1 }], store: pgliteStore('memory://'),
})
report.ready = await pay.ready().then(() => 'ready', (error) => error.code + ': ' + error.cause?.message)
const health = await pay.fetch(new Request('http://x/healthz'))
report.health = health.status + ' ' + (await health.json()).error.code
report.close = await pay.close().then(() => 'closed', (error) => error.message)
console.log(JSON.stringify(report))
`,
    )
    const result = node(['peers.mjs'])
    expect(result.status, result.output).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({
      client: 'function',
      live: 'function',
      // The first peer the module graph reaches, whichever of the two it is.
      react: expect.stringMatching(
        /^Cannot find package '(react|@tanstack\/react-query)' imported from .*tma-pay/,
      ),
      mockMiniApp: 'mockMiniApp() needs @tma.js/sdk, the SDK your Mini App uses: npm install @tma.js/sdk',
      ready: expect.stringMatching(
        /^store_unavailable: The embedded store needs PGlite: npm install @electric-sql\/pglite/,
      ),
      health: '503 store_unavailable',
      close: 'closed',
    })
  })

  it('require()s tma-pay/server, tma-pay/testing and tma-pay: the modules import() gives', () => {
    write(
      'require.cjs',
      `
const server = require('tma-pay/server')
const testing = require('tma-pay/testing')
const client = require('tma-pay')
import('tma-pay/server').then((imported) => {
  console.log(JSON.stringify({
    server: typeof server.createPayServer,
    testing: typeof testing.createTelegramSimulator,
    client: typeof client.createPayClient,
    same: imported.createPayServer === server.createPayServer,
  }))
})
`,
    )
    const result = node(['require.cjs'])
    expect(result.status, result.output).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({
      server: 'function',
      testing: 'function',
      client: 'function',
      same: true,
    })
  })

  it('fails a require() with ERR_REQUIRE_ESM, saying to use import(), where Node cannot require ES modules', () => {
    // What Node before 20.19 (and 22.0-22.11) does by default.
    const result = node(['--no-experimental-require-module', '-e', "require('tma-pay/server')"])
    expect(result.status).not.toBe(0)
    expect(result.stderr).toContain('ERR_REQUIRE_ESM')
    expect(result.stderr).toMatch(/to a dynamic import\(\) which is available in all CommonJS modules/)
  })

  it('type-checks a CommonJS app on module nodenext, and runs what tsc emits', () => {
    write(
      'app.ts',
      `
import { createPayServer, postgresStore } from 'tma-pay/server'
import { signInitData } from 'tma-pay/testing'
import { createPayClient } from 'tma-pay'

const pay = createPayServer({
  botToken: '1:a',
  webhookSecret: 'secret',
  products: [{ id: 'a', title: 'A', description: 'A.', amount: 1 }],
  store: postgresStore('postgres://127.0.0.1:1/none'),
  reconcile: false,
  backgroundIntervalMs: false,
})
const client = createPayClient({ baseUrl: 'http://127.0.0.1:1', initData: signInitData({ botToken: '1:a', user: { id: 1, first_name: 'Ada' } }) })
console.log(typeof pay.fetch, typeof client.getOrder)
void pay.close()
// Type-checked, never run.
export const wrong = () =>
  // @ts-expect-error: the server needs its catalog
  createPayServer({ botToken: '1:a' })
`,
    )
    write(
      'tsconfig.json',
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          target: 'es2022',
          lib: ['es2022', 'dom'],
          strict: true,
          skipLibCheck: true,
          types: [],
          outDir: 'out',
        },
        files: ['app.ts'],
      }),
    )
    const tsc = node([join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'])
    expect(tsc.output.trim()).toBe('')
    expect(tsc.status).toBe(0)
    // The project has no "type": tsc emitted CommonJS, require() calls and all.
    expect(readFileSync(join(project.dir, 'out/app.js'), 'utf8')).toContain('require("tma-pay/server")')
    const result = node(['out/app.js'])
    expect(result.status, result.output).toBe(0)
    expect(result.stdout.trim()).toBe('function function')
  })

  it('runs the server smoke test under Bun', () => {
    const bun = findBun()
    if (!bun) {
      // CI installs it (scripts/ci-deps.sh): there it must run.
      expect(process.env.CI, 'Bun not found: bash scripts/ci-deps.sh installs it into .tools/').toBeFalsy()
      console.warn('Bun not found (bash scripts/ci-deps.sh installs it): the Bun smoke test is skipped')
      return
    }
    write('smoke.mjs', smoke)
    const result = run(bun, ['smoke.mjs'], {
      cwd: project.dir,
      timeoutMs: 60_000,
      env: { DATABASE_URL: database.url },
    })
    expect(result.status, result.output).toBe(0)
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '')).toEqual({
      runtime: 'bun',
      ...smokeResult,
    })
  })

  it("runs the README's simulator tests as written, under vitest, once PGlite and vitest are installed", () => {
    npmInstall(project.dir, [devVersion('@electric-sql/pglite'), devVersion('vitest')])
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    const blocks = sectionBlocks('README.md', readme, 'Testing with the simulator').filter((b) => !b.fragment)
    expect(blocks).toHaveLength(2)
    blocks.forEach((block, i) => {
      write(`readme-${i + 1}.test.ts`, block.code)
    })
    const result = run(process.execPath, ['node_modules/vitest/vitest.mjs', 'run'], {
      cwd: project.dir,
      timeoutMs: 180_000,
      env: { NO_COLOR: '1' },
    })
    expect(result.status, result.output).toBe(0)
    expect(result.stdout).toMatch(/Tests\s+\S*\s*2 passed/)
  }, 420_000)
})
