// The order service end to end, on each store: server + simulator + database.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Order } from 'tma-pay'
import { createPayServer } from 'tma-pay/server'
import type { TelegramSimulator } from 'tma-pay/testing'
import { describe, expect, it } from 'vitest'
import {
  eventually,
  type RunningServer,
  sleep,
  storeKinds,
  testProducts,
  userApi,
  useStack,
  webhookSecret,
} from './helpers/stack'

let nextUserId = 5000
const newUser = () => nextUserId++

describe.each(storeKinds)('payments on %s', (kind) => {
  let sim: TelegramSimulator
  let server: RunningServer
  const paid: Order[] = []

  useStack(kind, { onPaid: (order) => void paid.push(order) }, (stack) => {
    ;({ sim, server } = stack)
  })

  const timelineStatuses = async (api: ReturnType<typeof userApi>, id: string) =>
    (
      (await api.call('GET', `/orders/${id}/timeline`)).body.events as { status: string; source: string }[]
    ).map((event) => `${event.status}:${event.source}`)

  it('takes an order from creation to paid, and runs onPaid once', async () => {
    const api = userApi(sim, server.url, newUser())
    const order = await api.createOrder('magic-book', undefined, { metadata: { sku: 'mb-1' } })
    expect(order).toMatchObject({
      status: 'created',
      amount: 50,
      currency: 'XTR',
      productId: 'magic-book',
      metadata: { sku: 'mb-1' },
    })
    expect(order.id).toMatch(/^ord_[0-9A-Z]{26}$/)
    expect(order.invoiceUrl).toMatch(/^https:\/\/t\.me\/\$/)

    const payment = await sim.pay(order.invoiceUrl, { userId: order.userId })
    expect(payment.outcome).toBe('paid')
    const settled = await eventually(async () => {
      const current = await api.getOrder(order.id)
      return current.status === 'paid' && current
    })
    expect(settled.telegramPaymentChargeId).toBe(payment.telegramPaymentChargeId)
    expect(settled.paidAt).toBeDefined()
    await eventually(() => paid.some((p) => p.id === order.id))
    expect(paid.filter((p) => p.id === order.id)).toHaveLength(1)
    expect(paid.find((p) => p.id === order.id)?.metadata).toEqual({ sku: 'mb-1' })
    expect(await timelineStatuses(api, order.id)).toEqual([
      'created:server',
      'processing:telegram',
      'paid:telegram',
    ])
  })

  it('records a cancel, and no payment follows', async () => {
    const api = userApi(sim, server.url, newUser())
    const order = await api.createOrder()
    await api.call('POST', `/orders/${order.id}/client-status`, { status: 'pending' })
    const payment = await sim.pay(order.invoiceUrl, { userId: order.userId, outcome: 'cancelled' })
    expect(payment.outcome).toBe('cancelled')
    const reported = await api.call('POST', `/orders/${order.id}/client-status`, { status: 'cancelled' })
    expect(reported.status).toBe(200)
    expect(reported.body.status).toBe('cancelled')
    expect(await timelineStatuses(api, order.id)).toEqual([
      'created:server',
      'pending:client',
      'cancelled:client',
    ])
  })

  it('ignores a client "cancelled" hint once Telegram approved the payment (paid then cancelled)', async () => {
    const api = userApi(sim, server.url, newUser())
    const order = await api.createOrder()
    await sim.pay(order.invoiceUrl, { userId: order.userId })
    await eventually(async () => (await api.getOrder(order.id)).status === 'paid')
    const hint = await api.call('POST', `/orders/${order.id}/client-status`, { status: 'cancelled' })
    expect(hint.body.status).toBe('paid')
    const claimed = await api.call('POST', `/orders/${order.id}/client-status`, { status: 'paid' })
    expect(claimed.body.status).toBe('paid')
  })

  it("never marks an order paid on the client's word", async () => {
    const api = userApi(sim, server.url, newUser())
    const order = await api.createOrder()
    const claimed = await api.call('POST', `/orders/${order.id}/client-status`, { status: 'paid' })
    expect(claimed.body.status).toBe('created')
  })

  it('refuses pre-checkout for a tampered amount', async () => {
    const api = userApi(sim, server.url, newUser())
    const order = await api.createOrder()
    const payment = await sim.pay(order.invoiceUrl, { userId: order.userId, totalAmount: 1 })
    expect(payment.outcome).toBe('refused')
    expect(payment.preCheckout?.ok).toBe(false)
    const current = await api.getOrder(order.id)
    expect(current.status).toBe('failed')
    const timeline = (await api.call('GET', `/orders/${order.id}/timeline`)).body.events
    expect(timeline.at(-1)).toMatchObject({
      status: 'failed',
      source: 'telegram',
      detail: { reason: 'amount_mismatch' },
    })
  })

  it('refuses pre-checkout for an unknown order', async () => {
    const link = await server.pay.telegram.createInvoiceLink(
      'Forged',
      'Not ours',
      'ord_00000000000000000000000000',
      '',
      'XTR',
      [{ label: 'Forged', amount: 50 }],
    )
    const payment = await sim.pay(link, { userId: newUser() })
    expect(payment.outcome).toBe('refused')
    expect(payment.preCheckout?.errorMessage).toBeTruthy()
  })

  it('refuses pre-checkout from a user who does not own the order', async () => {
    const api = userApi(sim, server.url, newUser())
    const order = await api.createOrder()
    const payment = await sim.pay(order.invoiceUrl, { userId: newUser() })
    expect(payment.outcome).toBe('refused')
    expect((await api.getOrder(order.id)).status).toBe('created')
  })

  it('delivers the same successful_payment 50 times at once: one paid order, onPaid once', async () => {
    const api = userApi(sim, server.url, newUser())
    const order = await api.createOrder()
    sim.fault({ type: 'duplicate', on: 'successful_payment', count: 50 })
    await sim.pay(order.invoiceUrl, { userId: order.userId })
    await sim.idle()
    await eventually(() => paid.some((p) => p.id === order.id))
    // Every delivery done and every due fulfilment job run: a late duplicate would show now.
    await server.pay.runBackgroundWork()
    expect(paid.filter((p) => p.id === order.id)).toHaveLength(1)
    const delivered = sim.deliveries.filter(
      (d) => d.update.message?.successful_payment?.invoice_payload === order.id,
    )
    expect(delivered.length).toBeGreaterThanOrEqual(50)
    expect(delivered.every((d) => d.status === 200)).toBe(true)
    expect((await timelineStatuses(api, order.id)).filter((s) => s.startsWith('paid'))).toHaveLength(1)
  })

  it('rejects a webhook call with a wrong or missing secret, and changes nothing', async () => {
    const api = userApi(sim, server.url, newUser())
    const order = await api.createOrder()
    const update = {
      update_id: 999_999,
      message: {
        message_id: 1,
        date: Math.floor(Date.now() / 1000),
        chat: { id: order.userId, type: 'private', first_name: 'Eve' },
        from: { id: order.userId, is_bot: false, first_name: 'Eve' },
        successful_payment: {
          currency: 'XTR',
          total_amount: 50,
          invoice_payload: order.id,
          telegram_payment_charge_id: 'forged-charge',
          provider_payment_charge_id: 'forged',
        },
      },
    }
    for (const headers of [
      {} as Record<string, string>,
      { 'x-telegram-bot-api-secret-token': 'wrong' },
      { 'x-telegram-bot-api-secret-token': `${webhookSecret}x` },
    ]) {
      const response = await fetch(`${server.url}/telegram/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(update),
      })
      expect(response.status).toBe(401)
      expect((await response.json()).error.code).toBe('unauthorized')
    }
    expect((await api.getOrder(order.id)).status).toBe('created')
  })

  it('returns the same order for a repeated Idempotency-Key, with one invoice link', async () => {
    const api = userApi(sim, server.url, newUser())
    const key = crypto.randomUUID()
    const before = sim.calls.filter((call) => call.method === 'createInvoiceLink').length
    const responses = await Promise.all(
      Array.from({ length: 8 }, () =>
        api.call('POST', '/orders', { productId: 'magic-book' }, { 'idempotency-key': key }),
      ),
    )
    const ids = new Set(responses.map((response) => response.body.id))
    expect(ids.size).toBe(1)
    expect(responses.filter((response) => response.status === 201)).toHaveLength(1)
    expect(responses.filter((response) => response.status === 200)).toHaveLength(7)
    const again = await api.call('POST', '/orders', { productId: 'magic-book' }, { 'idempotency-key': key })
    expect(again.status).toBe(200)
    expect(again.body.id).toBe([...ids][0])
    expect(sim.calls.filter((call) => call.method === 'createInvoiceLink').length - before).toBe(1)
  })

  it('a creation stuck on a dead instance gives its Idempotency-Key over to a repeat; the late original answers with that order', async () => {
    // A Bot API that holds createInvoiceLink until released: the first instance hangs mid-creation, as one
    // killed between reserving the key and writing the order would (without ever finishing).
    let release!: () => void
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    const heldBotApi = createServer(async (_request, response) => {
      await released
      response.setHeader('content-type', 'application/json')
      response.end(JSON.stringify({ ok: true, result: 'https://t.me/$heldInvoiceSlug' }))
    })
    await new Promise<void>((resolve) => heldBotApi.listen(0, '127.0.0.1', resolve))
    // Two more instances on the same database; their fetch is called in process.
    const instance = (apiRoot: string) =>
      createPayServer({
        botToken: sim.botToken,
        apiRoot,
        webhookSecret,
        products: testProducts,
        store: server.pay.store,
        logger: { info() {}, warn() {}, error() {} },
        backgroundIntervalMs: false,
        onPaid: (order) => void paid.push(order),
        idempotencyTakeoverMs: 300,
      })
    const stuck = instance(`http://127.0.0.1:${(heldBotApi.address() as AddressInfo).port}`)
    const taker = instance(sim.url)
    const api = userApi(sim, server.url, newUser())
    const create = (pay: typeof stuck) =>
      pay.fetch(
        new Request('http://pay/orders', {
          method: 'POST',
          headers: {
            authorization: `tma ${api.initData}`,
            'content-type': 'application/json',
            'idempotency-key': 'key-of-a-stuck-creation',
          },
          body: JSON.stringify({ productId: 'magic-book' }),
        }),
      )
    try {
      const original = create(stuck)
      await sleep(600)
      const repeat = await create(taker)
      expect(repeat.status).toBe(201)
      const order = (await repeat.json()) as Order
      expect(order.invoiceUrl).not.toBe('https://t.me/$heldInvoiceSlug')
      // The original finishes at last: it must not make a second order, and answers with the repeat's.
      release()
      const late = await original
      expect(late.status).toBe(200)
      expect(((await late.json()) as Order).id).toBe(order.id)
      const list = await api.call('GET', '/orders')
      expect(list.body.totalCount).toBe(1)
      expect(list.body.data[0].id).toBe(order.id)
    } finally {
      release()
      heldBotApi.closeAllConnections()
      await new Promise((resolve) => heldBotApi.close(resolve))
    }
  })

  it('answers 409 for a reused Idempotency-Key with another body', async () => {
    const api = userApi(sim, server.url, newUser())
    const key = crypto.randomUUID()
    await api.createOrder('magic-book', key)
    const conflict = await api.call('POST', '/orders', { productId: 'gem' }, { 'idempotency-key': key })
    expect(conflict.status).toBe(409)
    expect(conflict.body.error.code).toBe('idempotency_conflict')
  })

  it('takes prices from the catalog only: a client-sent amount has no effect', async () => {
    const api = userApi(sim, server.url, newUser())
    const order = await api.createOrder('gem', undefined, {
      amount: 1,
      currency: 'USD',
      quantity: 3,
      title: 'Free',
    })
    expect(order).toMatchObject({ amount: 15, currency: 'XTR', quantity: 3, title: 'Gem' })
    const call = sim.calls.filter((c) => c.method === 'createInvoiceLink').at(-1)
    expect(call?.params.prices).toEqual([{ label: 'Gem × 3', amount: 15 }])
  })

  it('shows a user their own orders only', async () => {
    const owner = userApi(sim, server.url, newUser())
    const other = userApi(sim, server.url, newUser())
    const order = await owner.createOrder()
    for (const path of [`/orders/${order.id}`, `/orders/${order.id}/timeline`]) {
      const response = await other.call('GET', path)
      expect(response.status).toBe(404)
      expect(response.body.error.code).toBe('not_found')
    }
    const hint = await other.call('POST', `/orders/${order.id}/client-status`, { status: 'cancelled' })
    expect(hint.status).toBe(404)
    expect((await other.call('GET', '/orders')).body.data).toEqual([])
    expect((await owner.getOrder(order.id)).status).toBe('created')
  })

  it('lists orders newest first with filters and a cursor', async () => {
    const api = userApi(sim, server.url, newUser())
    const created: Order[] = []
    for (let i = 0; i < 5; i++) created.push(await api.createOrder(i % 2 ? 'gem' : 'magic-book'))
    const first = (await api.call('GET', '/orders?limit=2')).body
    expect(first.data.map((o: Order) => o.id)).toEqual([created[4]!.id, created[3]!.id])
    expect(first).toMatchObject({ hasMore: true, totalCount: 5 })
    const second = (await api.call('GET', `/orders?limit=2&starting_after=${created[3]!.id}`)).body
    expect(second.data.map((o: Order) => o.id)).toEqual([created[2]!.id, created[1]!.id])
    const last = (await api.call('GET', `/orders?limit=2&starting_after=${created[1]!.id}`)).body
    expect(last).toMatchObject({ hasMore: false })
    expect(last.data.map((o: Order) => o.id)).toEqual([created[0]!.id])
    await api.call('POST', `/orders/${created[0]!.id}/client-status`, { status: 'cancelled' })
    const cancelled = (await api.call('GET', '/orders?status=cancelled')).body
    expect(cancelled.data.map((o: Order) => o.id)).toEqual([created[0]!.id])
    const future = (
      await api.call('GET', `/orders?created_gte=${new Date(Date.now() + 60_000).toISOString()}`)
    ).body
    expect(future).toMatchObject({ data: [], totalCount: 0 })
  })
})
