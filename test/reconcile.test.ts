// Reconciliation with getStarTransactions: payments whose successful_payment never arrived end paid,
// exactly once, whichever of the webhook and reconciliation comes first.
import type { Order } from 'tma-pay'
import type { TelegramSimulator } from 'tma-pay/testing'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createSimulator,
  createTestDatabase,
  eventually,
  type RunningServer,
  startServer,
  storeKinds,
  type TestDatabase,
  testProducts,
  userApi,
} from './helpers/stack'

let nextUserId = 12_000
const newUser = () => nextUserId++

const subscriptionProduct = {
  id: 'club',
  title: 'Club',
  description: 'Monthly membership.',
  amount: 20,
  subscriptionPeriod: 2592000,
}
const products = [...testProducts, subscriptionProduct]

describe.each(storeKinds)('reconciliation on %s', (kind) => {
  // Each test gets its own simulator and database, so its Star transactions are its own.
  let sim: TelegramSimulator
  let database: TestDatabase
  const cleanups: Array<() => Promise<void>> = []
  const paid: Order[] = []
  const errors: Array<{ message: string; data?: Record<string, unknown> }> = []
  const logger = {
    info() {},
    warn() {},
    error: (message: string, data?: Record<string, unknown>) => void errors.push({ message, data }),
  }

  beforeAll(() => {
    // The real clock unless a test fakes Date (the lookback test).
    vi.useRealTimers()
  })
  afterEach(async () => {
    vi.useRealTimers()
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
    paid.length = 0
    errors.length = 0
  })

  async function setup(options: Parameters<typeof startServer>[2] = {}) {
    sim = await createSimulator()
    database = await createTestDatabase(kind)
    cleanups.push(
      () => sim.close(),
      () => database.remove(),
    )
    return start(options)
  }

  async function start(options: Parameters<typeof startServer>[2] = {}): Promise<RunningServer> {
    const server = await startServer(sim, database.open(), {
      products,
      logger,
      onPaid: (order) => void paid.push(order),
      // Tests call pay.reconcile() themselves unless they test the run at start.
      reconcile: false,
      ...options,
    })
    let closed = false
    const close = async () => {
      if (closed) return
      closed = true
      await server.close()
    }
    cleanups.push(close)
    return { ...server, close }
  }

  const paidCount = (id: string) => paid.filter((order) => order.id === id).length

  const timeline = async (api: ReturnType<typeof userApi>, id: string) =>
    (
      (await api.call('GET', `/orders/${id}/timeline`)).body.events as { status: string; source: string }[]
    ).map((event) => `${event.status}:${event.source}`)

  /** An order paid in Telegram whose successful_payment the simulator drops: it stays processing. */
  async function payWithDroppedWebhook(server: RunningServer, productId = 'magic-book') {
    const api = userApi(sim, server.url, newUser())
    const order = await api.createOrder(productId)
    sim.fault({ type: 'drop', on: 'successful_payment' })
    const payment = await sim.pay(order.invoiceUrl, { userId: order.userId })
    expect(payment.outcome).toBe('paid')
    await sim.idle()
    expect((await api.getOrder(order.id)).status).toBe('processing')
    return { api, order, payment }
  }

  /** The successful_payment Telegram would have sent for a charge the simulator took. */
  function successfulPaymentUpdate(order: Order, chargeId: string) {
    return {
      message: {
        message_id: 900_000 + (nextUserId % 1000),
        date: Math.floor(Date.now() / 1000),
        chat: { id: order.userId, type: 'private', first_name: 'Test' },
        from: { id: order.userId, is_bot: false, first_name: 'Test' },
        successful_payment: {
          currency: order.currency,
          total_amount: order.amount,
          invoice_payload: order.id,
          telegram_payment_charge_id: chargeId,
          provider_payment_charge_id: `${order.userId}_1`,
        },
      },
    }
  }

  it('applies a payment whose webhook was dropped, once, and the late webhook changes nothing', async () => {
    const server = await setup()
    const { api, order, payment } = await payWithDroppedWebhook(server)

    expect(await server.pay.reconcile()).toEqual({ checked: 1, applied: 1, refunded: 0 })
    const settled = await api.getOrder(order.id)
    expect(settled.status).toBe('paid')
    expect(settled.telegramPaymentChargeId).toBe(payment.telegramPaymentChargeId)
    expect(await timeline(api, order.id)).toEqual(['created:server', 'processing:telegram', 'paid:reconcile'])
    await eventually(() => paidCount(order.id) === 1)

    // The webhook turns up after all (Telegram's late delivery): the charge is on record, nothing happens.
    await sim.sendUpdate(successfulPaymentUpdate(order, payment.telegramPaymentChargeId!))
    await sim.idle()
    expect(sim.deliveries.at(-1)?.status).toBe(200)
    expect(await timeline(api, order.id)).toEqual(['created:server', 'processing:telegram', 'paid:reconcile'])
    expect((await api.getOrder(order.id)).updatedAt).toBe(settled.updatedAt)

    // A second run finds the payment on record.
    expect(await server.pay.reconcile()).toEqual({ checked: 1, applied: 0, refunded: 0 })
    await server.pay.runBackgroundWork()
    expect(paidCount(order.id)).toBe(1)
  })

  it('leaves payments the webhook delivered alone', async () => {
    const server = await setup()
    const api = userApi(sim, server.url, newUser())
    const order = await api.createOrder()
    await sim.pay(order.invoiceUrl, { userId: order.userId })
    await eventually(async () => (await api.getOrder(order.id)).status === 'paid')

    expect(await server.pay.reconcile()).toEqual({ checked: 1, applied: 0, refunded: 0 })
    expect(await timeline(api, order.id)).toEqual(['created:server', 'processing:telegram', 'paid:telegram'])
    await sim.idle()
    await server.pay.runBackgroundWork()
    expect(paidCount(order.id)).toBe(1)
  })

  it('pages through more transactions than one page holds', async () => {
    const server = await setup({ reconcile: { intervalMs: false, pageSize: 2 } })
    const api = userApi(sim, server.url, newUser())
    const orders: Order[] = []
    for (let i = 0; i < 5; i++) {
      const order = await api.createOrder()
      // The first and the fourth payment lose their webhook: one on the last page, one on the first.
      if (i === 0 || i === 3) sim.fault({ type: 'drop', on: 'successful_payment' })
      await sim.pay(order.invoiceUrl, { userId: order.userId })
      orders.push(order)
    }
    await sim.idle()
    expect(sim.transactions).toHaveLength(5)
    const callsBefore = sim.calls.length

    expect(await server.pay.reconcile()).toEqual({ checked: 5, applied: 2, refunded: 0 })
    const pages = sim.calls.slice(callsBefore).filter((call) => call.method === 'getStarTransactions')
    expect(pages.map((call) => call.params)).toEqual([
      { offset: 0, limit: 2 },
      { offset: 2, limit: 2 },
      { offset: 4, limit: 2 },
    ])
    for (const order of orders) expect((await api.getOrder(order.id)).status).toBe('paid')
    expect((await timeline(api, orders[0]!.id)).at(-1)).toBe('paid:reconcile')
    expect((await timeline(api, orders[3]!.id)).at(-1)).toBe('paid:reconcile')
    expect((await timeline(api, orders[1]!.id)).at(-1)).toBe('paid:telegram')
    await eventually(() => orders.every((order) => paidCount(order.id) === 1))
  })

  it('stops paging at transactions older than the lookback window', async () => {
    const server = await setup({ reconcile: { intervalMs: false, pageSize: 2, lookbackMs: 3_600_000 } })
    for (let i = 0; i < 3; i++) await payWithDroppedWebhook(server)
    // Two hours later, every payment is past the hour looked back on: one page read, nothing applied.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 2 * 3_600_000 })
    const callsBefore = sim.calls.length
    expect(await server.pay.reconcile()).toEqual({ checked: 0, applied: 0, refunded: 0 })
    expect(sim.calls.slice(callsBefore).filter((call) => call.method === 'getStarTransactions')).toHaveLength(
      1,
    )
    vi.useRealTimers()
    expect(await server.pay.reconcile()).toEqual({ checked: 3, applied: 3, refunded: 0 })
  })

  it('finds at start a payment whose webhook was lost while no server listened', async () => {
    const first = await setup()
    const { order } = await payWithDroppedWebhook(first)
    await first.close()

    // Default options: reconciliation runs at start, without anyone calling it.
    const second = await start({ reconcile: undefined })
    const later = userApi(sim, second.url, order.userId)
    const settled = await eventually(async () => {
      const current = await later.getOrder(order.id)
      return current.status === 'paid' && current
    })
    expect(settled.status).toBe('paid')
    expect((await timeline(later, order.id)).at(-1)).toBe('paid:reconcile')
    await eventually(() => paidCount(order.id) === 1)
  })

  it('does not take a refund for a payment', async () => {
    const server = await setup({ adminKey: 'reconcile-admin-key-0123456789abcdef' })
    const api = userApi(sim, server.url, newUser())
    const order = await api.createOrder()
    await sim.pay(order.invoiceUrl, { userId: order.userId })
    await eventually(async () => (await api.getOrder(order.id)).status === 'paid')
    const refund = await fetch(`${server.url}/admin/orders/${order.id}/refund`, {
      method: 'POST',
      headers: { authorization: 'Bearer reconcile-admin-key-0123456789abcdef' },
    })
    expect(refund.status).toBe(200)
    await sim.idle()
    // The payment and its refund, which carries the payment's id and payload, as a receiver.
    expect(sim.transactions.map((transaction) => Boolean(transaction.receiver))).toEqual([false, true])

    expect(await server.pay.reconcile()).toEqual({ checked: 1, applied: 0, refunded: 0 })
    expect((await api.getOrder(order.id)).status).toBe('refunded')
    expect((await timeline(api, order.id)).filter((event) => event.startsWith('paid:'))).toEqual([
      'paid:telegram',
    ])
  })

  it('gives a subscription paid by reconciliation its expiry', async () => {
    const server = await setup()
    const { api, order } = await payWithDroppedWebhook(server, 'club')
    expect(await server.pay.reconcile()).toEqual({ checked: 1, applied: 1, refunded: 0 })
    const transaction = sim.transactions[0]!
    const settled = await api.getOrder(order.id)
    expect(settled.status).toBe('paid')
    expect(settled.subscription?.expiresAt).toBe(
      new Date((transaction.date + subscriptionProduct.subscriptionPeriod) * 1000).toISOString(),
    )
  })

  it('renews a subscription whose renewal webhook was dropped', async () => {
    const server = await setup()
    const api = userApi(sim, server.url, newUser())
    const order = await api.createOrder('club')
    const first = await sim.pay(order.invoiceUrl, { userId: order.userId })
    await eventually(async () => (await api.getOrder(order.id)).status === 'paid')
    sim.fault({ type: 'drop', on: 'successful_payment' })
    const renewal = await sim.renewSubscription(first.telegramPaymentChargeId!)
    await sim.idle()
    expect((await api.getOrder(order.id)).telegramPaymentChargeId).toBe(first.telegramPaymentChargeId)

    expect(await server.pay.reconcile()).toEqual({ checked: 2, applied: 1, refunded: 0 })
    const renewed = await api.getOrder(order.id)
    expect(renewed.status).toBe('paid')
    expect(renewed.telegramPaymentChargeId).toBe(renewal.telegramPaymentChargeId)
    expect(renewed.subscription?.expiresAt).toBe(
      new Date(renewal.subscriptionExpirationDate! * 1000).toISOString(),
    )
    await sim.idle()
    await server.pay.runBackgroundWork()
    expect(paidCount(order.id)).toBe(1)
  })

  it('logs Telegram failing getStarTransactions, and the next run works', async () => {
    const server = await setup()
    const { api, order } = await payWithDroppedWebhook(server)
    sim.failNext('getStarTransactions')
    await expect(server.pay.reconcile()).rejects.toThrow(/Internal Server Error/)
    expect(errors.map((error) => error.message)).toContain('reconciliation failed; the next run tries again')
    expect((await api.getOrder(order.id)).status).toBe('processing')

    expect(await server.pay.reconcile()).toEqual({ checked: 1, applied: 1, refunded: 0 })
    expect((await api.getOrder(order.id)).status).toBe('paid')
  })

  it('runs on its interval and survives Telegram failing', async () => {
    const server = await setup()
    const { order } = await payWithDroppedWebhook(server)
    await server.close()
    // The run at start fails; a tick of the interval finds the payment.
    sim.failNext('getStarTransactions')
    const second = await start({ reconcile: { intervalMs: 100 } })
    const later = userApi(sim, second.url, order.userId)
    await eventually(async () => (await later.getOrder(order.id)).status === 'paid')
    expect(errors.map((error) => error.message)).toContain('reconciliation failed; the next run tries again')
    expect(sim.calls.filter((call) => call.method === 'getStarTransactions').length).toBeGreaterThanOrEqual(2)
    await sim.idle()
    await second.pay.runBackgroundWork()
    expect(paidCount(order.id)).toBe(1)
  })
})
