// A whole tma-pay stack for integration tests: the Telegram simulator, a store (PGlite or
// PostgreSQL), and the pay server listening on loopback so the simulator can deliver webhooks.
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Order } from 'tma-pay'
import {
  createPayServer,
  type PayServer,
  type PayServerOptions,
  type PayStore,
  pgliteStore,
  postgresStore,
} from 'tma-pay/server'
import { createTelegramSimulator, type TelegramSimulator } from 'tma-pay/testing'
import { afterAll, beforeAll } from 'vitest'
import { freshPgliteDir, freshPostgresDatabase } from './databases'

export type StoreKind = 'pglite' | 'postgres'
export const storeKinds: StoreKind[] = ['pglite', 'postgres']

export const webhookSecret = 'test_webhook_secret-123'

export const testProducts = [
  { id: 'magic-book', title: 'Magic Book', description: 'A book of spells.', amount: 50 },
  { id: 'gem', title: 'Gem', description: 'A shiny gem.', amount: 5, maxQuantity: 10 },
  { id: 'retired', title: 'Retired', description: 'No longer sold.', amount: 10, active: false },
]

/** A database that outlives server restarts: `open()` gives a new store on the same data. */
export interface TestDatabase {
  kind: StoreKind
  open(): PayStore
  remove(): Promise<void>
}

export async function createTestDatabase(kind: StoreKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const { dir, remove } = freshPgliteDir()
    return { kind, open: () => pgliteStore(dir), remove: async () => remove() }
  }
  const database = await freshPostgresDatabase()
  return { kind, open: () => postgresStore(database.url), remove: () => database.drop() }
}

export interface RunningServer {
  pay: PayServer
  url: string
  close(): Promise<void>
}

const quietLogger = { info() {}, warn() {}, error() {} }

/** Starts the pay server on a free loopback port and points the simulator's webhook at it. */
export async function startServer(
  sim: TelegramSimulator,
  store: PayStore,
  options: Partial<PayServerOptions> = {},
): Promise<RunningServer> {
  const pay = createPayServer({
    botToken: sim.botToken,
    apiRoot: sim.url,
    webhookSecret,
    products: testProducts,
    store,
    logger: quietLogger,
    backgroundIntervalMs: false,
    fulfillment: { retryBaseMs: 50, retryMaxMs: 200, leaseMs: 2000 },
    ...options,
  })
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const listening = serve({ fetch: pay.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(listening))
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  await pay.telegram.setWebhook(`${url}/telegram/webhook`, { secret_token: webhookSecret })
  return {
    pay,
    url,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await pay.close()
    },
  }
}

/** Calls the HTTP API as a user would: init data signed by the simulator's bot. */
export function userApi(sim: TelegramSimulator, baseUrl: string, userId: number) {
  const initData = sim.signInitData(userId)
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `tma ${initData}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, body: text ? JSON.parse(text) : null }
  }
  return {
    initData,
    call,
    createOrder: async (
      productId = 'magic-book',
      key = crypto.randomUUID(),
      extra: Record<string, unknown> = {},
    ) => {
      const response = await call('POST', '/orders', { productId, ...extra }, { 'idempotency-key': key })
      if (response.status !== 201 && response.status !== 200)
        throw new Error(`create failed: ${JSON.stringify(response)}`)
      return response.body as Order
    },
    getOrder: async (id: string) => (await call('GET', `/orders/${id}`)).body as Order,
  }
}

/** Polls until `check` returns a truthy value or the time runs out. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error('eventually: condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function createSimulator(): Promise<TelegramSimulator> {
  return createTelegramSimulator({ retryDelaysMs: [100, 300, 1000] })
}

/** What `useStack` starts for a describe block. */
export interface Stack {
  sim: TelegramSimulator
  database: TestDatabase
  server: RunningServer
}

/**
 * For one describe block: a simulator (or the one `simulator()` makes), a fresh database of `kind` and a pay
 * server on it, started before its tests and closed after them. `bind` receives them once started.
 */
export function useStack(
  kind: StoreKind,
  options: Partial<PayServerOptions>,
  bind: (stack: Stack) => void,
  simulator: () => Promise<TelegramSimulator> = createSimulator,
): void {
  let stack: Partial<Stack> = {}
  beforeAll(async () => {
    const sim = await simulator()
    stack.sim = sim
    const database = await createTestDatabase(kind)
    stack.database = database
    stack.server = await startServer(sim, database.open(), options)
    bind(stack as Stack)
  })
  afterAll(async () => {
    await stack.server?.close()
    await stack.sim?.close()
    await stack.database?.remove()
    stack = {}
  })
}
