// onPaid runs until it succeeds and then never again, across restarts; late payments still count.
import type { Order } from 'tma-pay'
import type { TelegramSimulator } from 'tma-pay/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createSimulator,
  createTestDatabase,
  eventually,
  sleep,
  startServer,
  storeKinds,
  type TestDatabase,
  userApi,
} from './helpers/stack'

describe.each(storeKinds)('fulfilment on %s', (kind) => {
  let sim: TelegramSimulator
  let database: TestDatabase

  beforeAll(async () => {
    sim = await createSimulator()
    database = await createTestDatabase(kind)
  })
  afterAll(async () => {
    await sim?.close()
    await database?.remove()
  })

  it('retries a failing onPaid until it succeeds, then never calls it again, across restarts', async () => {
    const calls: { orderId: string; eventId: string; attempt: number; ok: boolean }[] = []
    let failuresLeft = 2
    const onPaid = (order: Order, context: { eventId: string; attempt: number }) => {
      const ok = failuresLeft-- <= 0
      calls.push({ orderId: order.id, eventId: context.eventId, attempt: context.attempt, ok })
      if (!ok) throw new Error('fulfilment backend is down')
    }
    // First instance: onPaid fails once, then the server goes down before the retry.
    const first = await startServer(sim, database.open(), {
      onPaid,
      fulfillment: { retryBaseMs: 500, leaseMs: 2000 },
    })
    const api = userApi(sim, first.url, 9001)
    const order = await api.createOrder()
    await sim.pay(order.invoiceUrl, { userId: 9001 })
    await eventually(() => calls.length === 1)
    await first.close()

    // Second instance on the same data: the due retry fails once more, then succeeds.
    const second = await startServer(sim, database.open(), {
      onPaid,
      fulfillment: { retryBaseMs: 100, retryMaxMs: 100, leaseMs: 2000 },
    })
    await eventually(async () => {
      await second.pay.runBackgroundWork()
      return calls.some((call) => call.ok)
    })
    await second.close()

    const third = await startServer(sim, database.open(), { onPaid })
    await third.pay.runBackgroundWork()
    await sleep(300)
    await third.pay.runBackgroundWork()
    await third.close()
    expect(calls.filter((call) => call.ok)).toHaveLength(1)
    expect(calls.map((call) => call.attempt)).toEqual([1, 2, 3])
    expect(new Set(calls.map((call) => call.eventId)).size).toBe(1)
    expect(calls.every((call) => call.orderId === order.id)).toBe(true)
  })

  it('ends paid when the payment arrives after the order expired', async () => {
    const paid: string[] = []
    const server = await startServer(sim, database.open(), {
      orderTtlMs: 500,
      expiryGraceMs: 0,
      // The subject here is a payment landing after expiry, so the approved order may expire at once.
      processingTimeoutMs: 0,
      onPaid: (order) => void paid.push(order.id),
    })
    try {
      const api = userApi(sim, server.url, 9002)
      const order = await api.createOrder()
      sim.fault({ type: 'delay', on: 'successful_payment', ms: 1500 })
      const paying = sim.pay(order.invoiceUrl, { userId: 9002 })
      await eventually(async () => (await api.getOrder(order.id)).status === 'processing')
      await sleep(600)
      await server.pay.runBackgroundWork()
      expect((await api.getOrder(order.id)).status).toBe('expired')
      await paying
      const settled = await eventually(async () => {
        const current = await api.getOrder(order.id)
        return current.status === 'paid' && current
      })
      expect(settled.status).toBe('paid')
      await eventually(() => paid.includes(order.id))
      const events = (await api.call('GET', `/orders/${order.id}/timeline`)).body.events
      expect(events.map((e: { status: string }) => e.status)).toEqual([
        'created',
        'processing',
        'expired',
        'paid',
      ])
      expect(events.at(-1).detail.lateAfter).toBe('expired')
    } finally {
      await server.close()
    }
  })

  it('refuses pre-checkout once an unpaid order has expired', async () => {
    const server = await startServer(sim, database.open(), { orderTtlMs: 200, expiryGraceMs: 0 })
    try {
      const api = userApi(sim, server.url, 9003)
      const order = await api.createOrder()
      await sleep(300)
      const payment = await sim.pay(order.invoiceUrl, { userId: 9003 })
      expect(payment.outcome).toBe('refused')
      expect((await api.getOrder(order.id)).status).toBe('expired')
    } finally {
      await server.close()
    }
  })
})
