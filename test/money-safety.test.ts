// Money safety under hostile input and races (issue 9): on each store, every case ends with nothing lost,
// nothing doubled, and a 4xx with a code where the input was bad, before anything irreversible was done.
import type { Order } from 'tma-pay'
import type { TelegramSimulator } from 'tma-pay/testing'
import { describe, expect, it } from 'vitest'
import {
  createTestDatabase,
  eventually,
  type RunningServer,
  startServer,
  storeKinds,
  testProducts,
  userApi,
  useStack,
  webhookSecret,
} from './helpers/stack'

const adminKey = 'money-safety-admin-key-0123456789abcdef'
const subscriptionProduct = {
  id: 'wizard-pass',
  title: 'Wizard Pass',
  description: 'Monthly pass.',
  amount: 250,
  subscriptionPeriod: 2_592_000,
}
// Buyable in quantities whose total crosses Telegram's limits.
const bulkProducts = [
  { id: 'star-bulk', title: 'Star bulk', description: 'Many units.', amount: 1000, maxQuantity: 1_000_000 },
  {
    id: 'cent',
    title: 'Cent',
    description: 'One US cent.',
    amount: 1,
    currency: 'USD',
    maxQuantity: Number.MAX_SAFE_INTEGER,
  },
]

let nextUserId = 60_000
const newUser = () => nextUserId++

interface LogLine {
  level: string
  message: string
  data?: Record<string, unknown>
}

describe.each(storeKinds)('money safety on %s', (kind) => {
  let sim: TelegramSimulator
  let server: RunningServer
  const paid: Order[] = []
  const refunded: Order[] = []
  const logs: LogLine[] = []
  const log = (level: string) => (message: string, data?: Record<string, unknown>) =>
    void logs.push({ level, message, ...(data ? { data } : {}) })

  useStack(
    kind,
    {
      adminKey,
      products: [...testProducts, subscriptionProduct, ...bulkProducts],
      rateLimit: { max: 30, windowMs: 60_000 },
      providerToken: '1:TEST:money-safety',
      onPaid: (order) => void paid.push(order),
      onRefunded: (order) => void refunded.push(order),
      logger: { info: log('info'), warn: log('warn'), error: log('error') },
      reconcile: false,
    },
    (stack) => {
      ;({ sim, server } = stack)
    },
  )

  // A second server in a test takes the simulator's webhook; the suite's own server gets it back after.
  const restoreWebhook = () =>
    server.pay.telegram.setWebhook(`${server.url}/telegram/webhook`, { secret_token: webhookSecret })
  const calls = (method: string) => sim.calls.filter((call) => call.method === method).length
  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, body: text ? JSON.parse(text) : null }
  }
  const adminTimeline = async (orderId: string) =>
    (await admin('GET', `/admin/orders/${orderId}/timeline`)).body.events as {
      status: string
      source: string
      detail: Record<string, unknown>
    }[]

  async function paidOrder(productId = 'magic-book', userId = newUser()) {
    const api = userApi(sim, server.url, userId)
    const order = await api.createOrder(productId)
    expect((await sim.pay(order.invoiceUrl, { userId })).outcome).toBe('paid')
    const current = await eventually(async () => {
      const found = await api.getOrder(order.id)
      return found.status === 'paid' && found
    })
    return { api, order: current, userId }
  }

  describe('strings the database cannot store', () => {
    const unstorable = {
      NUL: 'a\u0000b',
      'a lone high surrogate': 'a\ud800b',
      'a lone low surrogate': '\udc00',
    }

    it.each(Object.entries(unstorable))(
      'refuses %s in metadata keys and values, and productId, before Telegram is asked',
      async (_name, text) => {
        const api = userApi(sim, server.url, newUser())
        const before = calls('createInvoiceLink')
        for (const body of [
          { productId: 'magic-book', metadata: { note: text } },
          { productId: 'magic-book', metadata: { [text]: 'x' } },
          { productId: `magic-book${text}` },
        ]) {
          const response = await api.call('POST', '/orders', body, { 'idempotency-key': crypto.randomUUID() })
          expect(response.status).toBe(400)
          expect(response.body.error.code).toBe('validation_failed')
        }
        expect(calls('createInvoiceLink')).toBe(before)
        expect((await api.call('GET', '/orders')).body.totalCount).toBe(0)
      },
    )

    it.each(Object.entries(unstorable))(
      'refuses %s in a refund reason or by before refundStarPayment, and the order stays paid',
      async (_name, text) => {
        const { api, order } = await paidOrder()
        const before = calls('refundStarPayment')
        for (const body of [{ reason: text }, { by: text }]) {
          const response = await admin('POST', `/admin/orders/${order.id}/refund`, body)
          expect(response.status).toBe(400)
          expect(response.body.error.code).toBe('validation_failed')
        }
        expect(calls('refundStarPayment')).toBe(before)
        expect((await api.getOrder(order.id)).status).toBe('paid')
        // A good refund still works afterwards.
        expect((await admin('POST', `/admin/orders/${order.id}/refund`, { reason: 'ok' })).status).toBe(200)
      },
    )

    it('answers 404 for an order id with a NUL in the path, on every order route', async () => {
      const api = userApi(sim, server.url, newUser())
      const id = 'ord_%00'
      for (const [method, path, body] of [
        ['GET', `/orders/${id}`],
        ['GET', `/orders/${id}/timeline`],
        ['GET', `/orders/${id}/stream`],
        ['POST', `/orders/${id}/client-status`, { status: 'pending' }],
        ['POST', `/orders/${id}/subscription`, { canceled: true }],
      ] as const) {
        const response = await api.call(method, path, body)
        expect({ path, status: response.status }).toEqual({ path, status: 404 })
      }
      expect((await admin('GET', `/admin/orders/${id}/timeline`)).status).toBe(404)
      expect((await admin('POST', `/admin/orders/${id}/refund`, {})).status).toBe(404)
    })
  })

  it('a refund racing a renewal refunds the older charge only: the renewed order stays paid and active', async () => {
    const { api, order, userId } = await paidOrder('wizard-pass')
    const firstCharge = order.telegramPaymentChargeId!
    const hold = sim.holdNext('refundStarPayment')
    const refunding = admin('POST', `/admin/orders/${order.id}/refund`, { reason: 'asked' })
    await hold.reached
    // While Telegram is still working on the refund of the first charge, the next period is charged.
    const renewal = await sim.renewSubscription(firstCharge)
    const renewedCharge = renewal.telegramPaymentChargeId!
    await eventually(async () => (await api.getOrder(order.id)).telegramPaymentChargeId === renewedCharge)
    hold.release()
    const response = await refunding
    expect(response.status).toBe(200)
    await sim.idle()
    await server.pay.runBackgroundWork()

    const after = await api.getOrder(order.id)
    expect(after.status).toBe('paid')
    expect(after.telegramPaymentChargeId).toBe(renewedCharge)
    const subscriptions = (await api.call('GET', '/subscriptions')).body.data as {
      orderId: string
      active: boolean
    }[]
    expect(subscriptions.find((entry) => entry.orderId === order.id)?.active).toBe(true)
    expect(refunded.some((entry) => entry.id === order.id)).toBe(false)
    const refundCalls = sim.calls.filter(
      (call) => call.method === 'refundStarPayment' && call.params.user_id === userId,
    )
    expect(refundCalls.map((call) => call.params.telegram_payment_charge_id)).toEqual([firstCharge])
    // The refund of the first charge is on the timeline, the order's status unchanged by it.
    const events = await adminTimeline(order.id)
    const refundEvents = events.filter((event) => event.detail.chargeRefunded === true)
    expect(refundEvents).toHaveLength(1)
    expect(refundEvents[0]).toMatchObject({
      status: 'paid',
      source: 'admin',
      detail: { telegramPaymentChargeId: firstCharge, orderChargeId: renewedCharge },
    })
    expect(events.some((event) => event.status === 'refunded')).toBe(false)
    // The renewed charge is still the one a refund takes.
    const second = await admin('POST', `/admin/orders/${order.id}/refund`, {})
    expect(second.status).toBe(200)
    expect(second.body).toMatchObject({ status: 'refunded', telegramPaymentChargeId: renewedCharge })
  })

  describe('reconciliation reads both directions of the ledger', () => {
    it('a payment refunded in Telegram before either webhook arrived ends refunded, and onPaid never runs', async () => {
      const userId = newUser()
      const api = userApi(sim, server.url, userId)
      const order = await api.createOrder()
      sim.fault({ type: 'drop', on: 'successful_payment' })
      const payment = await sim.pay(order.invoiceUrl, { userId })
      expect(payment.outcome).toBe('paid')
      // Refunded by the bot's owner elsewhere; its refunded_payment is lost too.
      sim.fault({ type: 'drop', on: 'refunded_payment' })
      await server.pay.telegram.refundStarPayment(userId, payment.telegramPaymentChargeId!)
      await sim.idle()
      expect((await api.getOrder(order.id)).status).toBe('processing')

      const result = await server.pay.reconcile()
      expect(result.applied).toBe(1)
      await server.pay.runBackgroundWork()
      const after = await api.getOrder(order.id)
      expect(after.status).toBe('refunded')
      expect(after.telegramPaymentChargeId).toBe(payment.telegramPaymentChargeId)
      expect(paid.some((entry) => entry.id === order.id)).toBe(false)
      expect(refunded.some((entry) => entry.id === order.id)).toBe(false)
      const statuses = (await adminTimeline(order.id)).map((event) => `${event.status}:${event.source}`)
      expect(statuses).toEqual([
        'created:server',
        'processing:telegram',
        'paid:reconcile',
        'refunded:reconcile',
      ])
      // A second run finds nothing new.
      expect(await server.pay.reconcile()).toMatchObject({ applied: 0, refunded: 0 })
    })

    it('a refund whose refunded_payment was lost is applied from the ledger, once, with onRefunded once', async () => {
      const { api, order, userId } = await paidOrder()
      await server.pay.runBackgroundWork()
      expect(paid.filter((entry) => entry.id === order.id)).toHaveLength(1)
      sim.fault({ type: 'drop', on: 'refunded_payment' })
      await server.pay.telegram.refundStarPayment(userId, order.telegramPaymentChargeId!)
      await sim.idle()
      expect((await api.getOrder(order.id)).status).toBe('paid')

      expect((await server.pay.reconcile()).refunded).toBe(1)
      expect(await server.pay.reconcile()).toMatchObject({ applied: 0, refunded: 0 })
      await server.pay.runBackgroundWork()
      expect((await api.getOrder(order.id)).status).toBe('refunded')
      expect(refunded.filter((entry) => entry.id === order.id)).toHaveLength(1)
    })
  })

  describe('a successful_payment that does not match its order', () => {
    it.each([
      ['amount', { total_amount: 1 }, {}],
      ['currency', { currency: 'USD' }, {}],
      ['payer', {}, { payer: 1 }],
    ] as const)(
      'with another %s is kept and acknowledged, pays nothing, runs no onPaid, and is logged',
      async (what, change, who) => {
        const userId = newUser()
        const api = userApi(sim, server.url, userId)
        const order = await api.createOrder()
        const payer = 'payer' in who ? newUser() : userId
        const chargeId = `stxForged${crypto.randomUUID().replaceAll('-', '')}`
        const user = { id: payer, is_bot: false, first_name: 'Mallory' }
        await sim.sendUpdate({
          message: {
            message_id: 1,
            date: Math.floor(Date.now() / 1000),
            chat: { id: payer, type: 'private', first_name: 'Mallory' },
            from: user,
            successful_payment: {
              currency: 'XTR',
              total_amount: order.amount,
              invoice_payload: order.id,
              telegram_payment_charge_id: chargeId,
              provider_payment_charge_id: '',
              ...change,
            },
          },
        })
        await sim.idle()
        const delivery = sim.deliveries.findLast(
          (entry) => entry.update.message?.successful_payment?.telegram_payment_charge_id === chargeId,
        )
        expect(delivery?.status).toBe(200)
        await server.pay.runBackgroundWork()
        const after = await api.getOrder(order.id)
        expect(after.status).toBe('created')
        expect(after.telegramPaymentChargeId).toBeUndefined()
        expect(paid.some((entry) => entry.id === order.id)).toBe(false)
        // The charge is on record (for a refund), and the admin sees why it paid nothing.
        expect((await server.pay.store.chargeStates([chargeId])).get(chargeId)).toEqual({
          orderId: order.id,
          refunded: false,
        })
        const mismatch = (await adminTimeline(order.id)).find((event) => event.detail.mismatch)
        expect(mismatch).toMatchObject({
          status: 'created',
          source: 'telegram',
          detail: { telegramPaymentChargeId: chargeId },
        })
        expect(Object.keys(mismatch!.detail.mismatch as object)).toEqual([what === 'payer' ? 'userId' : what])
        expect(
          logs.some((line) => line.level === 'error' && line.data?.telegramPaymentChargeId === chargeId),
        ).toBe(true)
      },
    )
  })

  describe('pre-checkout and expiry', () => {
    it('an order approved just before its deadline stays processing until the payment lands', async () => {
      // A database of its own: one PGlite directory is opened by one store at a time.
      const own = await createTestDatabase(kind)
      const racing = await startServer(sim, own.open(), {
        orderTtlMs: 400,
        expiryGraceMs: 0,
        reconcile: false,
        onPaid: (order) => void paid.push(order),
      })
      try {
        const userId = newUser()
        const api = userApi(sim, racing.url, userId)
        const order = await api.createOrder()
        sim.fault({ type: 'delay', on: 'successful_payment', ms: 1200 })
        const paying = sim.pay(order.invoiceUrl, { userId })
        await eventually(async () => (await api.getOrder(order.id)).status === 'processing')
        await eventually(() => Date.now() > Date.parse(order.expiresAt) + 100)
        await racing.pay.runBackgroundWork()
        expect((await api.getOrder(order.id)).status).toBe('processing')
        await paying
        await sim.idle()
        const after = await api.getOrder(order.id)
        expect(after.status).toBe('paid')
        const statuses = (
          (await api.call('GET', `/orders/${order.id}/timeline`)).body.events as { status: string }[]
        ).map((event) => event.status)
        expect(statuses).toEqual(['created', 'processing', 'paid'])
      } finally {
        await racing.close()
        await own.remove()
        await restoreWebhook()
      }
    })

    it('a processing order whose payment never comes expires once processingTimeoutMs has passed', async () => {
      // A database of its own: one PGlite directory is opened by one store at a time.
      const own = await createTestDatabase(kind)
      const waiting = await startServer(sim, own.open(), {
        orderTtlMs: 100,
        expiryGraceMs: 0,
        processingTimeoutMs: 300,
        reconcile: false,
      })
      try {
        const userId = newUser()
        const api = userApi(sim, waiting.url, userId)
        const order = await api.createOrder()
        sim.fault({ type: 'drop', on: 'successful_payment' })
        await sim.pay(order.invoiceUrl, { userId })
        const approved = await api.getOrder(order.id)
        expect(approved.status).toBe('processing')
        await waiting.pay.runBackgroundWork()
        expect((await api.getOrder(order.id)).status).toBe('processing')
        await eventually(() => Date.now() > Date.parse(approved.updatedAt) + 350)
        await waiting.pay.runBackgroundWork()
        expect((await api.getOrder(order.id)).status).toBe('expired')
      } finally {
        await waiting.close()
        await own.remove()
        await restoreWebhook()
      }
    })

    it('refuses pre-checkout of a failed order without saying it expired', async () => {
      const userId = newUser()
      const api = userApi(sim, server.url, userId)
      const order = await api.createOrder()
      expect(
        (await api.call('POST', `/orders/${order.id}/client-status`, { status: 'failed' })).body.status,
      ).toBe('failed')
      const payment = await sim.pay(order.invoiceUrl, { userId })
      expect(payment.outcome).toBe('refused')
      expect(payment.preCheckout?.errorMessage).not.toMatch(/expired/i)
      expect(payment.preCheckout?.errorMessage).toMatch(/can no longer be paid/)
    })
  })

  describe('writes one user can cause', () => {
    it('keeps at most 50 client hints on an order, however many are sent', async () => {
      const api = userApi(sim, server.url, newUser())
      const order = await api.createOrder()
      for (let i = 0; i < 200; i++) {
        const response = await api.call('POST', `/orders/${order.id}/client-status`, {
          status: i % 2 === 0 ? 'pending' : 'cancelled',
        })
        expect(response.status).toBe(200)
      }
      const events = (await api.call('GET', `/orders/${order.id}/timeline`)).body.events as {
        source: string
      }[]
      expect(events.filter((event) => event.source === 'client')).toHaveLength(50)
    })

    it('caps the size of metadata as a whole', async () => {
      const api = userApi(sim, server.url, newUser())
      const metadata = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'v'.repeat(500)]))
      const response = await api.call('POST', '/orders', { productId: 'magic-book', metadata })
      expect(response.status).toBe(400)
      expect(response.body.error).toMatchObject({ code: 'validation_failed', details: { field: 'metadata' } })
    })

    it('holds the per-user order limit under 80 concurrent creations', async () => {
      const api = userApi(sim, server.url, newUser())
      const before = calls('createInvoiceLink')
      const responses = await Promise.all(
        Array.from({ length: 80 }, () =>
          api.call('POST', '/orders', { productId: 'gem' }, { 'idempotency-key': crypto.randomUUID() }),
        ),
      )
      const statuses = responses.map((response) => response.status)
      expect(statuses.filter((status) => status === 201)).toHaveLength(30)
      expect(statuses.filter((status) => status === 429)).toHaveLength(50)
      expect(calls('createInvoiceLink') - before).toBe(30)
      expect((await api.call('GET', '/orders')).body.totalCount).toBe(30)
    })
  })

  describe('amounts and dates at the edge', () => {
    it('refuses totals over Telegram limits and quantities beyond the column, before createInvoiceLink', async () => {
      const api = userApi(sim, server.url, newUser())
      const before = calls('createInvoiceLink')
      for (const body of [
        { productId: 'star-bulk', quantity: 101 }, // 101000 Stars: over 100000 per invoice
        { productId: 'cent', quantity: 2 ** 31 }, // over 2^31-1 minor units, and the quantity column
        { productId: 'cent', quantity: 2 ** 40 },
      ]) {
        const response = await api.call('POST', '/orders', body)
        expect({ body, status: response.status }).toEqual({ body, status: 400 })
        expect(response.body.error.code).toBe('validation_failed')
      }
      expect(calls('createInvoiceLink')).toBe(before)
      expect((await api.call('POST', '/orders', { productId: 'star-bulk', quantity: 100 })).status).toBe(201)
      expect((await api.call('POST', '/orders', { productId: 'cent', quantity: 2 ** 31 - 1 })).status).toBe(
        201,
      )
    })

    it('the simulator refuses such invoices as Telegram does', async () => {
      await expect(
        server.pay.telegram.createInvoiceLink('Big', 'Too big', 'payload', '', 'XTR', [
          { label: 'Big', amount: 100_001 },
        ]),
      ).rejects.toThrow(/CURRENCY_TOTAL_AMOUNT_INVALID/)
      await expect(
        server.pay.telegram.createInvoiceLink('Big', 'Too big', 'payload', '1:TEST:x', 'USD', [
          { label: 'Big', amount: 2 ** 31 },
        ]),
      ).rejects.toThrow(/CURRENCY_TOTAL_AMOUNT_INVALID/)
    })

    it('answers 400 for list dates outside the years 0001-9999', async () => {
      const api = userApi(sim, server.url, newUser())
      for (const date of ['0000-01-01', '+275760-09-13', '-000001-01-01', '+010000-01-01']) {
        for (const field of ['created_gte', 'created_lte']) {
          const query = `${field}=${encodeURIComponent(date)}`
          const response = await api.call('GET', `/orders?${query}`)
          expect({ query, status: response.status }).toEqual({ query, status: 400 })
          const adminList = await admin('GET', `/admin/orders?${query}`)
          expect({ query, status: adminList.status }).toEqual({ query, status: 400 })
        }
      }
      expect((await api.call('GET', '/orders?created_gte=0001-01-01&created_lte=9999-12-31')).status).toBe(
        200,
      )
    })
  })
})
