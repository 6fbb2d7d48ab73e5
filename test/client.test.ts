// createPayClient against a real pay server and the simulator: every route, and errors as PayError.
import { createPayClient, PayError } from 'tma-pay'
import type { TelegramSimulator } from 'tma-pay/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createSimulator,
  createTestDatabase,
  eventually,
  type RunningServer,
  startServer,
  type TestDatabase,
} from './helpers/stack'

describe('createPayClient with the pay server', () => {
  let sim: TelegramSimulator
  let database: TestDatabase
  let server: RunningServer

  beforeAll(async () => {
    sim = await createSimulator()
    database = await createTestDatabase('pglite')
    server = await startServer(sim, database.open())
  })
  afterAll(async () => {
    await server?.close()
    await sim?.close()
    await database?.remove()
  })

  it('covers every route of the HTTP contract', async () => {
    const client = createPayClient({ baseUrl: server.url, initData: sim.signInitData(3001) })
    expect((await client.listProducts()).map((p) => p.id)).toEqual(['magic-book', 'gem'])

    const order = await client.createOrder(
      { productId: 'gem', quantity: 2, metadata: { level: '3' } },
      { idempotencyKey: 'key-1' },
    )
    expect(order).toMatchObject({
      productId: 'gem',
      quantity: 2,
      amount: 10,
      status: 'created',
      metadata: { level: '3' },
    })
    expect(
      await client.createOrder(
        { productId: 'gem', quantity: 2, metadata: { level: '3' } },
        { idempotencyKey: 'key-1' },
      ),
    ).toEqual(order)

    expect(await client.reportClientStatus(order.id, 'pending')).toMatchObject({ status: 'pending' })
    await sim.pay(order.invoiceUrl, { userId: 3001 })
    await eventually(async () => (await client.getOrder(order.id)).status === 'paid')

    const page = await client.listOrders({ status: 'paid', limit: 10 })
    expect(page).toMatchObject({ hasMore: false, totalCount: 1 })
    expect(page.data[0]?.id).toBe(order.id)

    const timeline = await client.getTimeline(order.id)
    expect(timeline.orderId).toBe(order.id)
    expect(timeline.events.map((e) => [e.status, e.source])).toEqual([
      ['created', 'server'],
      ['pending', 'client'],
      ['processing', 'telegram'],
      ['paid', 'telegram'],
    ])
  })

  it("reports server errors as PayError with the server's code", async () => {
    const client = createPayClient({ baseUrl: server.url, initData: sim.signInitData(3002) })
    const missing = await client.getOrder('ord_00000000000000000000000000').catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(PayError)
    expect(missing).toMatchObject({ code: 'not_found', status: 404 })
    const unknown = await client.createOrder({ productId: 'nope' }).catch((e: unknown) => e)
    expect(unknown).toMatchObject({ code: 'product_not_found', status: 404 })
    const anonymous = createPayClient({ baseUrl: server.url })
    expect(await anonymous.listOrders().catch((e: unknown) => e)).toMatchObject({
      code: 'unauthorized',
      status: 401,
    })
  })

  it('retries an answer whose body was cut mid-way, as network trouble', async () => {
    let calls = 0
    // The first answer's connection breaks after the headers: its body errors while being read.
    const cutOnce: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      if (++calls > 1) return response
      const body = new ReadableStream({
        start(controller) {
          controller.error(new TypeError('terminated'))
        },
      })
      return new Response(body, { status: response.status, headers: response.headers })
    }
    const client = createPayClient({ baseUrl: server.url, fetch: cutOnce, retryDelayMs: 1 })
    expect((await client.listProducts()).map((product) => product.id)).toEqual(['magic-book', 'gem'])
    expect(calls).toBe(2)
    // With no retry left, the cut body is a network_error, not a raw TypeError.
    calls = 0
    const once = createPayClient({ baseUrl: server.url, retries: 1, fetch: cutOnce })
    expect(await once.listProducts().catch((e: unknown) => e)).toMatchObject({ code: 'network_error' })
  })

  it('reports an unreachable server as a network_error after its retries', async () => {
    const client = createPayClient({ baseUrl: 'http://127.0.0.1:9', retries: 2, retryDelayMs: 1 })
    expect(await client.listProducts().catch((e: unknown) => e)).toMatchObject({ code: 'network_error' })
  })
})
