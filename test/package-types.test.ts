// The published declarations, as an app's TypeScript sees them through package.json "exports": a server
// project on `module: NodeNext` (Node's own ESM resolution, which wants `./x.js` in a .d.ts), a CommonJS server
// (a .cts file: its imports become require() calls, which NodeNext allows for ES modules without top-level await)
// and a bundled Mini App on `moduleResolution: bundler`. The @ts-expect-error lines fail the compile if any
// import came out `any` (an unresolved declaration, which skipLibCheck would hide).
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))

// An app's own file. It sits inside this package (with no package.json of its own), so `tma-pay`
// resolves to this package by its name, through "exports", as it would from node_modules.
const app = `
import { createCheckout, createPayClient, type Order, PayError } from 'tma-pay'
import { PayButton, useOrder } from 'tma-pay/react'
import { useSubscription } from 'tma-pay/react/subscriptions'
import { Bot, type Context } from 'grammy'
import { allowedUpdates, type CreateServeBot, createPayServer, pgliteStore, postgresStore, verifyNotifySignature } from 'tma-pay/server'
import { createTelegramSimulator, signInitData } from 'tma-pay/testing'
import { createFakePayClient, mockMiniApp } from 'tma-pay/testing/browser'

const client = createPayClient({ baseUrl: '/api/pay', initData: () => 'raw' })
export const settled: Promise<Order> = client.watchOrder('ord_1', (order) => order.status)
export const checkout = createCheckout({ client })
export const server = createPayServer({
  botToken: '1:a',
  webhookSecret: 'secret',
  products: [{ id: 'book', title: 'Book', description: 'A book.', amount: 5 }],
  store: pgliteStore('memory://'),
})
export const stores = [postgresStore]
// An app's own bot: no webhook secret, the middleware, chat invoices, allowed_updates for grammY.
export const own = createPayServer({ botToken: '1:a', products: [], store: pgliteStore('memory://') })
export const middleware = own.botMiddleware()
export const invoice: Promise<Order> = own.sendInvoice({ chatId: 1, userId: 1, productId: 'book' })
export const updates = allowedUpdates(['callback_query'])
// A --bot-module's default export, also with a context of the app's own.
export const createBot: CreateServeBot = ({ pay, botToken, apiRoot, botInfo }) => {
  const bot = new Bot(botToken, { botInfo, client: { apiRoot } })
  bot.use(pay.botMiddleware())
  return bot
}
type AppContext = Context & { locale: string }
export const createAppBot: CreateServeBot<AppContext> = async ({ pay, botToken }) => {
  const bot = new Bot<AppContext>(botToken)
  bot.use(pay.botMiddleware())
  return bot
}
export const used = [PayButton, useOrder, useSubscription, verifyNotifySignature, createTelegramSimulator, signInitData, createFakePayClient, mockMiniApp]
export const error = new PayError('not_found', 'No order.')

// @ts-expect-error: a checkout needs its client
createCheckout({})
// @ts-expect-error: the server needs its catalog
createPayServer({ botToken: '1:a', webhookSecret: 'secret' })
// @ts-expect-error: grammY's update types, not any string
updates.push('no_such_update')
// @ts-expect-error: a chat invoice is for a user
own.sendInvoice({ chatId: 1, productId: 'book' })
// @ts-expect-error: a bot module returns a grammY Bot
export const notABot: CreateServeBot = () => ({ token: '1:a' })
// @ts-expect-error: not an error code
new PayError('no_such_code', 'x')
// @ts-expect-error: an order id is a string
client.getOrder(42)
// @ts-expect-error: useSubscription takes a product id
useSubscription()
`

// A CommonJS server's file: what a server and its tests use, through require().
const commonJsApp = `
import { createPayServer, pgliteStore } from 'tma-pay/server'
import { createTelegramSimulator, signInitData } from 'tma-pay/testing'
import { createPayClient } from 'tma-pay'

export const server = createPayServer({
  botToken: '1:a',
  webhookSecret: 'secret',
  products: [{ id: 'book', title: 'Book', description: 'A book.', amount: 5 }],
  store: pgliteStore('memory://'),
})
export const used = [createTelegramSimulator, signInitData, createPayClient]
// @ts-expect-error: the server needs its catalog
createPayServer({ botToken: '1:a' })
`

function tsconfig(moduleResolution: 'NodeNext' | 'Bundler', file = 'app.ts') {
  return JSON.stringify({
    compilerOptions: {
      module: moduleResolution === 'NodeNext' ? 'NodeNext' : 'ESNext',
      moduleResolution,
      target: 'ES2022',
      lib: ['ES2022', 'DOM'],
      strict: true,
      noEmit: true,
      // Other packages' declarations are theirs to check; ours are proven by the lines above.
      skipLibCheck: true,
      types: [],
    },
    files: [file],
  })
}

describe('the published types', () => {
  let dir: string

  beforeAll(() => {
    // What `npm run build` emits for types (tsc, then the .js extensions), into dist/.
    execFileSync(process.execPath, [join(root, 'scripts/build-types.mjs')], { cwd: root, stdio: 'pipe' })
    mkdirSync(join(root, 'test-results'), { recursive: true })
    dir = mkdtempSync(join(root, 'test-results/package-types-'))
    writeFileSync(join(dir, 'app.ts'), app)
    writeFileSync(join(dir, 'app.cts'), commonJsApp)
  }, 120_000)
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it.each([
    ['NodeNext', 'app.ts'],
    ['Bundler', 'app.ts'],
    ['NodeNext', 'app.cts'],
  ] as const)('type-check an app on moduleResolution %s (%s)', (resolution, file) => {
    const config = join(dir, `tsconfig.${resolution}.${file}.json`)
    writeFileSync(config, tsconfig(resolution, file))
    const result = spawnSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', config],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    )
    expect(`${result.stdout}${result.stderr}`).toBe('')
    expect(result.status).toBe(0)
  })
})
