// The live path's reads (issue 14): a payment of an order this instance has just approved at pre-checkout is
// recorded without reading the order again to know it is tma-pay's (orders are never deleted), so the webhook
// that the order stream waits for makes one round trip less. The payment is still recorded exactly once.
import type { PayStore } from 'tma-pay/server'
import type { TelegramSimulator } from 'tma-pay/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createSimulator,
  createTestDatabase,
  type RunningServer,
  type StoreKind,
  startServer,
  storeKinds,
  type TestDatabase,
  userApi,
} from './helpers/stack'

/** The store, with every getOrder of an order id counted. */
function countingReads(store: PayStore, reads: Map<string, number>): PayStore {
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target)
      if (property === 'getOrder')
        return (orderId: string) => {
          reads.set(orderId, (reads.get(orderId) ?? 0) + 1)
          return target.getOrder(orderId)
        }
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

describe.each(storeKinds)('the webhook on %s', (kind: StoreKind) => {
  let sim: TelegramSimulator
  let database: TestDatabase
  let server: RunningServer
  let store: PayStore
  const reads = new Map<string, number>()
  beforeAll(async () => {
    sim = await createSimulator()
    database = await createTestDatabase(kind)
    store = database.open()
    server = await startServer(sim, countingReads(store, reads))
  })
  afterAll(async () => {
    await server?.close()
    await database?.remove()
    await sim?.close()
  })

  it('reads an order once for its pre-checkout and not again for its payment, which is recorded once', async () => {
    const api = userApi(sim, server.url, 4101)
    const order = await api.createOrder('magic-book')
    const readsBefore = reads.get(order.id) ?? 0
    const payment = await sim.pay(order.invoiceUrl, { userId: 4101 })
    expect(payment.outcome).toBe('paid')
    await sim.idle()
    expect((reads.get(order.id) ?? 0) - readsBefore).toBe(1)
    const paid = await api.getOrder(order.id)
    expect(paid.status).toBe('paid')
    expect(paid.telegramPaymentChargeId).toBe(payment.telegramPaymentChargeId)
    const timeline = await store.timeline(order.id)
    expect(timeline.filter((event) => event.status === 'paid')).toHaveLength(1)
  })
})
