// The README's framework recipes ("In your web framework"), each with the framework's real package: the catalog
// and a user's order through it, and for the servers that take Telegram's webhook, a payment delivered through
// it (the raw body reaches tma-pay unparsed). The wiring is the README's, line for line; the README blocks
// themselves are type-checked by readme.test.ts.
import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener, serve } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { NextRequest } from 'next/server'
import type { Order } from 'tma-pay'
import { createPayServer, type PayServer, pgliteStore } from 'tma-pay/server'
import type { TelegramSimulator } from 'tma-pay/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSimulator, testProducts, webhookSecret } from './helpers/stack'

type Send = (path: string, init?: RequestInit) => Promise<Response>

let sim: TelegramSimulator
// Two pay servers for every recipe (a store each opens in seconds): one for mounts that strip the prefix, one
// with basePath for frameworks that hand over the whole URL.
let plain: PayServer
let prefixed: PayServer
const cleanups: Array<() => Promise<unknown> | unknown> = []
beforeAll(async () => {
  sim = await createSimulator()
  plain = payServer()
  prefixed = payServer('/api/pay')
  await Promise.all([plain.ready(), prefixed.ready()])
})
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  await sim.close()
})

function payServer(basePath?: string): PayServer {
  const pay = createPayServer({
    botToken: sim.botToken,
    apiRoot: sim.url,
    webhookSecret,
    products: testProducts,
    store: pgliteStore('memory://'),
    logger: { info() {}, warn() {}, error() {} },
    backgroundIntervalMs: false,
    reconcile: false,
    ...(basePath === undefined ? {} : { basePath }),
  })
  cleanups.push(() => pay.close())
  return pay
}

/** Sends requests to a Node server listening on a free port. */
async function listening(server: Server): Promise<{ url: string; send: Send }> {
  if (!server.listening) await once(server, 'listening')
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  cleanups.push(() => new Promise((resolve) => server.close(resolve)))
  return { url, send: (path, init) => fetch(`${url}${path}`, init) }
}

let userId = 5000
/** The catalog and a new user's order, through `send`, under /api/pay. */
async function checkRoutes(send: Send): Promise<Order> {
  const products = await send('/api/pay/products')
  expect(products.status).toBe(200)
  expect((await products.json()).data.map((p: { id: string }) => p.id)).toContain('magic-book')

  const user = ++userId
  const headers = { authorization: `tma ${sim.signInitData(user)}` }
  const created = await send('/api/pay/orders', {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
    body: JSON.stringify({ productId: 'magic-book', metadata: { via: 'framework' } }),
  })
  expect(created.status).toBe(201)
  const order = (await created.json()) as Order
  expect(order).toMatchObject({ userId: user, productId: 'magic-book', metadata: { via: 'framework' } })
  const read = await send(`/api/pay/orders/${order.id}`, { headers })
  expect(read.status).toBe(200)
  expect(((await read.json()) as Order).id).toBe(order.id)
  // Outside the prefix, the framework's own routes still answer.
  expect(await (await send('/')).text()).toBe('my shop')
  return order
}

/** Telegram's webhook through the framework: the order is paid once its successful_payment got through. */
async function checkWebhook(pay: PayServer, url: string, send: Send, order: Order) {
  await pay.telegram.setWebhook(`${url}/api/pay/telegram/webhook`, { secret_token: webhookSecret })
  expect((await sim.pay(order.invoiceUrl, { userId: order.userId })).outcome).toBe('paid')
  await sim.idle()
  const headers = { authorization: `tma ${sim.signInitData(order.userId)}` }
  expect(((await (await send(`/api/pay/orders/${order.id}`, { headers })).json()) as Order).status).toBe(
    'paid',
  )
  await pay.telegram.deleteWebhook()
}

describe('Hono', () => {
  it("app.mount('/api/pay', pay.fetch), no basePath", async () => {
    const pay = plain
    const app = new Hono()
    app.get('/', (c) => c.text('my shop'))
    app.mount('/api/pay', pay.fetch)
    const { url, send } = await listening(
      serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }) as Server,
    )
    await checkWebhook(pay, url, send, await checkRoutes(send))
    // The pay app's own JSON error for an unknown path under the mount.
    expect((await (await send('/api/pay/nope')).json()).error.code).toBe('not_found')
  })

  it("app.route('/api/pay', pay.app), no basePath; or basePath and app.route('/')", async () => {
    const app = new Hono()
    app.get('/', (c) => c.text('my shop'))
    app.route('/api/pay', plain.app)
    await checkRoutes((path, init) => Promise.resolve(app.request(path, init)))

    const rooted = new Hono()
    rooted.get('/', (c) => c.text('my shop'))
    rooted.route('/', prefixed.app)
    await checkRoutes((path, init) => Promise.resolve(rooted.request(path, init)))
  })

  it('doubles the prefix when basePath is set and the mount strips it too', async () => {
    const app = new Hono()
    app.mount('/api/pay', prefixed.fetch)
    expect((await app.request('/api/pay/products')).status).toBe(404)
    expect((await app.request('/api/pay/api/pay/products')).status).toBe(200)
  })
})

describe('Express', () => {
  it("app.use('/api/pay', getRequestListener(pay.fetch)) before express.json()", async () => {
    const pay = plain
    const app = express()
    app.use('/api/pay', getRequestListener(pay.fetch))
    app.use(express.json())
    app.get('/', (_req, res) => {
      res.send('my shop')
    })
    const { url, send } = await listening(app.listen(0, '127.0.0.1'))
    await checkWebhook(pay, url, send, await checkRoutes(send))
  })
})

describe('Fastify', () => {
  it('a scope that leaves the body unread and hands the raw request to getRequestListener', async () => {
    const pay = prefixed
    const payListener = getRequestListener(pay.fetch)
    const app = Fastify()
    await app.register(async (scope) => {
      scope.removeAllContentTypeParsers()
      scope.addContentTypeParser('*', (_request, _body, done) => done(null))
      scope.all('/api/pay/*', async (request, reply) => {
        reply.hijack()
        await payListener(request.raw, reply.raw)
      })
    })
    app.get('/', async () => 'my shop')
    await app.listen({ host: '127.0.0.1', port: 0 })
    cleanups.push(() => app.close())
    const { url, send } = await listening(app.server)
    await checkWebhook(pay, url, send, await checkRoutes(send))
  })
})

describe('Next.js App Router', () => {
  it("route handlers (GET = POST = (req) => pay.fetch(req)) called with next/server's NextRequest", async () => {
    const pay = prefixed
    // app/api/pay/[...path]/route.ts
    const GET = (request: Request) => pay.fetch(request)
    const POST = GET
    const handlers: Record<string, (request: NextRequest) => Promise<Response>> = { GET, POST }
    const send: Send = async (path, init = {}) => {
      // Next routes '/' to a page of its own; the route handler only ever sees its folder's paths.
      if (path === '/') return new Response('my shop')
      const request = new NextRequest(new URL(path, 'http://localhost:3000'), {
        method: init.method,
        headers: init.headers,
        body: init.body ?? null,
      } as ConstructorParameters<typeof NextRequest>[1])
      const handler = handlers[request.method]
      if (!handler) throw new Error(`no ${request.method} handler`)
      return handler(request)
    }
    await checkRoutes(send)
  })
})
