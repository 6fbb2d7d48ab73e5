// Products priced in a currency other than Telegram Stars: the invoice carries the configured payment
// provider token, and the rest of the flow is the one Stars take, in minor units.
import type { Order } from 'tma-pay'
import { createPayServer, type PayServerOptions } from 'tma-pay/server'
import { createTelegramSimulator, type TelegramSimulator } from 'tma-pay/testing'
import { describe, expect, it } from 'vitest'
import {
  createTestDatabase,
  eventually,
  type RunningServer,
  storeKinds,
  testProducts,
  userApi,
  useStack,
  webhookSecret,
} from './helpers/stack'

const providerToken = '284685063:TEST:tma-pay-currencies'
const adminKey = 'currencies-admin-key-0123456789abcdef'
const guide = {
  id: 'guide',
  title: 'Travel Guide',
  description: 'A printed guide.',
  amount: 499,
  currency: 'USD',
}
const products = [...testProducts, guide]

let nextUserId = 14_000
const newUser = () => nextUserId++

describe.each(storeKinds)('other currencies on %s', (kind) => {
  let sim: TelegramSimulator
  let server: RunningServer
  const paid: Order[] = []

  // Only the shop's own token is a valid provider here, as with a real bot's BotFather setup.
  useStack(
    kind,
    {
      products,
      providerToken,
      adminKey,
      onPaid: (order) => void paid.push(order),
    },
    (stack) => {
      ;({ sim, server } = stack)
    },
    () => createTelegramSimulator({ retryDelaysMs: [100, 300, 1000], providerTokens: [providerToken] }),
  )

  const invoiceCall = (orderId: string) =>
    sim.calls.find((call) => call.method === 'createInvoiceLink' && call.params.payload === orderId)

  /** A pay server that is not listening (no webhook taken from `server`): enough to create orders. */
  async function detachedServer(options: Partial<PayServerOptions>) {
    const own = await createTestDatabase('pglite')
    const pay = createPayServer({
      botToken: sim.botToken,
      apiRoot: sim.url,
      webhookSecret,
      products,
      store: own.open(),
      backgroundIntervalMs: false,
      reconcile: false,
      logger: { info() {}, warn() {}, error() {} },
      ...options,
    })
    const createOrder = async (productId: string, userId = newUser()) => {
      const response = await pay.fetch(
        new Request('http://pay.test/orders', {
          method: 'POST',
          headers: { authorization: `tma ${sim.signInitData(userId)}`, 'content-type': 'application/json' },
          body: JSON.stringify({ productId }),
        }),
      )
      return {
        status: response.status,
        body: (await response.json()) as {
          error: { code: string; message: string; details?: Record<string, unknown> }
        },
      }
    }
    const close = async () => {
      await pay.close()
      await own.remove()
    }
    return { close, createOrder }
  }

  it('sells a USD product end to end, in minor units, with the provider token', async () => {
    const api = userApi(sim, server.url, newUser())
    const order = await api.createOrder('guide')
    expect(order).toMatchObject({ status: 'created', currency: 'USD', amount: 499, productId: 'guide' })
    expect(invoiceCall(order.id)?.params).toMatchObject({
      currency: 'USD',
      provider_token: providerToken,
      prices: [{ label: 'Travel Guide', amount: 499 }],
    })

    const payment = await sim.pay(order.invoiceUrl, { userId: order.userId })
    expect(payment.outcome).toBe('paid')
    const settled = await eventually(async () => {
      const current = await api.getOrder(order.id)
      return current.status === 'paid' && current
    })
    expect(settled).toMatchObject({ currency: 'USD', amount: 499 })
    expect(settled.telegramPaymentChargeId).toBe(payment.telegramPaymentChargeId)
    const delivered = sim.deliveries.find(
      (delivery) => delivery.update.message?.successful_payment?.invoice_payload === order.id,
    )
    expect(delivered?.update.message?.successful_payment).toMatchObject({
      currency: 'USD',
      total_amount: 499,
      provider_payment_charge_id: expect.any(String),
    })
    await eventually(() => paid.some((p) => p.id === order.id))
    expect(paid.filter((p) => p.id === order.id)).toHaveLength(1)
    // Card money goes to the provider: no Star transaction, so reconciliation has nothing to look at.
    expect(sim.transactions.filter((t) => t.source?.invoice_payload === order.id)).toEqual([])

    // Refunds of card payments are the provider's business: the admin route refuses.
    const refund = await fetch(`${server.url}/admin/orders/${order.id}/refund`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}` },
    })
    expect(refund.status).toBe(409)
    expect(((await refund.json()) as { error: { code: string } }).error.code).toBe('invalid_state')
    expect((await api.getOrder(order.id)).status).toBe('paid')
  })

  it('refuses a fiat pre-checkout whose amount was tampered with', async () => {
    const api = userApi(sim, server.url, newUser())
    const order = await api.createOrder('guide')
    const payment = await sim.pay(order.invoiceUrl, { userId: order.userId, totalAmount: 1 })
    expect(payment.outcome).toBe('refused')
    expect(payment.preCheckout?.ok).toBe(false)
    const current = await api.getOrder(order.id)
    expect(current.status).toBe('failed')
    expect(current.telegramPaymentChargeId).toBeUndefined()
    await sim.idle()
    await server.pay.runBackgroundWork()
    expect(paid.some((p) => p.id === order.id)).toBe(false)
  })

  it('makes Stars invoices without a provider token, although one is configured', async () => {
    const api = userApi(sim, server.url, newUser())
    const order = await api.createOrder('magic-book')
    expect(order.currency).toBe('XTR')
    const params = invoiceCall(order.id)?.params
    expect(params?.currency).toBe('XTR')
    // Telegram: "Pass an empty string for payments in Telegram Stars."
    expect(params?.provider_token ?? '').toBe('')
  })

  it('answers telegram_error when Telegram refuses the provider token', async () => {
    const { close, createOrder } = await detachedServer({ providerToken: '284685063:TEST:someone-else' })
    try {
      const response = await createOrder('guide')
      expect(response.status).toBe(502)
      expect(response.body.error.code).toBe('telegram_error')
      expect(response.body.error.details?.description).toMatch(/PAYMENT_PROVIDER_INVALID/)
      const refused = sim.calls.filter((call) => call.method === 'createInvoiceLink').at(-1)
      expect(refused?.params.provider_token).toBe('284685063:TEST:someone-else')
      expect(refused?.error?.description).toBe('Bad Request: PAYMENT_PROVIDER_INVALID')
    } finally {
      await close()
    }
  })

  it('answers provider_token_missing for a fiat product without a provider token', async () => {
    const { close, createOrder } = await detachedServer({})
    try {
      const callsBefore = sim.calls.length
      const response = await createOrder('guide')
      expect(response.status).toBe(503)
      expect(response.body.error.code).toBe('provider_token_missing')
      expect(response.body.error.message).toMatch(/configure providerToken/)
      expect(response.body.error.details).toEqual({ productId: 'guide', currency: 'USD' })
      // Telegram is not asked, and Stars still sell.
      expect(sim.calls.slice(callsBefore).some((call) => call.method === 'createInvoiceLink')).toBe(false)
      expect((await createOrder('magic-book')).status).toBe(201)
    } finally {
      await close()
    }
  })
})

describe('the simulator and provider tokens', () => {
  it("accepts any token of BotFather's form by default, and answers PAYMENT_PROVIDER_INVALID to others", async () => {
    const sim = await createTelegramSimulator()
    try {
      const createInvoiceLink = async (provider_token: string) => {
        const response = await fetch(`${sim.url}/bot${sim.botToken}/createInvoiceLink`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            title: 'Guide',
            description: 'A guide.',
            payload: 'ord_1',
            provider_token,
            currency: 'EUR',
            prices: [{ label: 'Guide', amount: 250 }],
          }),
        })
        return { status: response.status, body: await response.json() }
      }
      expect((await createInvoiceLink('284685063:TEST:abc')).body.ok).toBe(true)
      expect((await createInvoiceLink('1234567:LIVE:xyz')).body.ok).toBe(true)
      const refused = await createInvoiceLink('not-a-token')
      expect(refused).toEqual({
        status: 400,
        body: { ok: false, error_code: 400, description: 'Bad Request: PAYMENT_PROVIDER_INVALID' },
      })
    } finally {
      await sim.close()
    }
  })
})
