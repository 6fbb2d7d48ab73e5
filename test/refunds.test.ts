// Refunds (the admin route and Telegram's refunded_payment) and the shop owner's order list, on each store.
import type { Order } from 'tma-pay'
import { createPayServer } from 'tma-pay/server'
import type { TelegramSimulator } from 'tma-pay/testing'
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

const adminKey = 'admin-key-for-tests-0123456789abcdef'
let nextUserId = 9000
const newUser = () => nextUserId++

describe.each(storeKinds)('refunds on %s', (kind) => {
  let sim: TelegramSimulator
  let server: RunningServer
  const refunded: Order[] = []

  useStack(
    kind,
    {
      adminKey,
      // The wrong-key test sends ten wrong keys, which would lock this address out of the later tests
      // (test/edge-safety.test.ts tests that throttle).
      adminAuthThrottle: false,
      onRefunded: (order) => void refunded.push(order),
    },
    (stack) => {
      ;({ sim, server } = stack)
    },
  )

  const admin = async (method: string, path: string, body?: unknown, key: string | null = adminKey) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, body: text ? JSON.parse(text) : null }
  }

  const timeline = async (api: ReturnType<typeof userApi>, id: string) =>
    (
      (await api.call('GET', `/orders/${id}/timeline`)).body.events as { status: string; source: string }[]
    ).map((event) => `${event.status}:${event.source}`)

  const refundCalls = (chargeId: string) =>
    sim.calls.filter(
      (call) => call.method === 'refundStarPayment' && call.params.telegram_payment_charge_id === chargeId,
    )

  const pay = () => server.pay
  const refundedCount = (id: string) => refunded.filter((order) => order.id === id).length

  async function paidOrder(userId = newUser()) {
    const api = userApi(sim, server.url, userId)
    const order = await api.createOrder()
    const payment = await sim.pay(order.invoiceUrl, { userId })
    expect(payment.outcome).toBe('paid')
    const paid = await eventually(async () => {
      const current = await api.getOrder(order.id)
      return current.status === 'paid' && current
    })
    return { api, order: paid }
  }

  it('refunds a paid order from the admin route, calls Telegram once and runs onRefunded once', async () => {
    const { api, order } = await paidOrder()
    const response = await admin('POST', `/admin/orders/${order.id}/refund`, {
      reason: 'asked by the user',
      by: 'owner',
    })
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ id: order.id, status: 'refunded' })
    expect(response.body.refundedAt).toEqual(expect.any(String))

    const calls = refundCalls(order.telegramPaymentChargeId!)
    expect(calls).toHaveLength(1)
    expect(calls[0]!.params.user_id).toBe(order.userId)
    expect(calls[0]!.ok).toBe(true)

    await eventually(() => refundedCount(order.id) === 1)
    // Telegram's refunded_payment echo of this refund arrives too, and changes nothing.
    await sim.idle()
    expect(
      sim.deliveries.some(
        (delivery) =>
          delivery.update.message?.refunded_payment?.telegram_payment_charge_id ===
            order.telegramPaymentChargeId && delivery.status === 200,
      ),
    ).toBe(true)
    await pay().runBackgroundWork()
    expect(refundedCount(order.id)).toBe(1)
    const events = (await api.call('GET', `/orders/${order.id}/timeline`)).body.events as {
      status: string
      source: string
      detail: Record<string, unknown>
    }[]
    const refundEvents = events.filter((event) => event.status === 'refunded')
    expect(refundEvents.map((event) => event.source)).toEqual(['admin'])
    expect(refundEvents[0]!.detail).toMatchObject({
      reason: 'asked by the user',
      by: 'owner',
      telegramPaymentChargeId: order.telegramPaymentChargeId,
    })
    expect((await api.getOrder(order.id)).status).toBe('refunded')
  })

  it('answers 401 to a wrong or missing admin key, and changes nothing', async () => {
    const { api, order } = await paidOrder()
    for (const key of [null, 'wrong-key', `${adminKey}x`]) {
      const refund = await admin('POST', `/admin/orders/${order.id}/refund`, undefined, key)
      expect(refund.status).toBe(401)
      expect(refund.body.error.code).toBe('unauthorized')
      expect((await admin('GET', '/admin/orders', undefined, key)).status).toBe(401)
      expect((await admin('GET', `/admin/orders/${order.id}/timeline`, undefined, key)).status).toBe(401)
    }
    // A user's init data is no admin key either.
    const asUser = await api.call('POST', `/admin/orders/${order.id}/refund`)
    expect(asUser.status).toBe(401)
    expect(refundCalls(order.telegramPaymentChargeId!)).toHaveLength(0)
    expect((await api.getOrder(order.id)).status).toBe('paid')
  })

  it("shows any user's order timeline to the admin", async () => {
    const { order } = await paidOrder()
    const timeline = await admin('GET', `/admin/orders/${order.id}/timeline`)
    expect(timeline.status).toBe(200)
    expect(timeline.body.orderId).toBe(order.id)
    expect(timeline.body.events.map((event: { status: string }) => event.status)).toEqual([
      'created',
      'processing',
      'paid',
    ])
    const unknown = await admin('GET', '/admin/orders/ord_00000000000000000000000000/timeline')
    expect(unknown.status).toBe(404)
  })

  it('answers 409 for an unpaid order and 404 for an unknown one', async () => {
    const api = userApi(sim, server.url, newUser())
    const order = await api.createOrder()
    const unpaid = await admin('POST', `/admin/orders/${order.id}/refund`)
    expect(unpaid.status).toBe(409)
    expect(unpaid.body.error.code).toBe('invalid_state')
    expect((await api.getOrder(order.id)).status).toBe('created')
    const unknown = await admin('POST', '/admin/orders/ord_00000000000000000000000000/refund')
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe('not_found')
  })

  it('answers 409 to a second refund, with one Telegram call', async () => {
    const { order } = await paidOrder()
    expect((await admin('POST', `/admin/orders/${order.id}/refund`)).status).toBe(200)
    const again = await admin('POST', `/admin/orders/${order.id}/refund`)
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe('invalid_state')
    expect(again.body.error.message).toMatch(/already refunded/)
    expect(refundCalls(order.telegramPaymentChargeId!)).toHaveLength(1)
    await eventually(() => refundedCount(order.id) === 1)
  })

  it('refunds once when two refunds of one order race', async () => {
    const { api, order } = await paidOrder()
    const results = await Promise.all([
      admin('POST', `/admin/orders/${order.id}/refund`),
      admin('POST', `/admin/orders/${order.id}/refund`),
    ])
    expect(results.map((result) => result.status).sort()).toEqual([200, 409])
    expect(results.find((result) => result.status === 409)!.body.error.code).toBe('invalid_state')
    expect(refundCalls(order.telegramPaymentChargeId!)).toHaveLength(1)
    await eventually(() => refundedCount(order.id) === 1)
    await sim.idle()
    await pay().runBackgroundWork()
    expect(refundedCount(order.id)).toBe(1)
    expect((await timeline(api, order.id)).filter((event) => event.startsWith('refunded:'))).toEqual([
      'refunded:admin',
    ])
  })

  it('answers 502 when Telegram refuses the refund, leaves the order paid, and can refund later', async () => {
    const { api, order } = await paidOrder()
    sim.failNext('refundStarPayment', { error_code: 400, description: 'Bad Request: simulated refusal' })
    const refused = await admin('POST', `/admin/orders/${order.id}/refund`)
    expect(refused.status).toBe(502)
    expect(refused.body.error.code).toBe('telegram_error')
    expect((await api.getOrder(order.id)).status).toBe('paid')
    expect(await timeline(api, order.id)).not.toContain('refunded:admin')
    expect(refundedCount(order.id)).toBe(0)
    // The failed attempt let its claim go: the next refund goes through.
    expect((await admin('POST', `/admin/orders/${order.id}/refund`)).status).toBe(200)
    await eventually(() => refundedCount(order.id) === 1)
  })

  it('makes an order refunded once from a refunded_payment message, even delivered twice', async () => {
    const { api, order } = await paidOrder()
    // The bot owner refunds in Telegram, not through our route: only refunded_payment tells us.
    sim.fault({ type: 'duplicate', on: 'refunded_payment', count: 2 })
    const apiRoot = `${sim.url}/bot${sim.botToken}`
    const response = await fetch(`${apiRoot}/refundStarPayment`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        user_id: order.userId,
        telegram_payment_charge_id: order.telegramPaymentChargeId,
      }),
    })
    expect(response.status).toBe(200)
    await sim.idle()
    const settled = await eventually(async () => {
      const current = await api.getOrder(order.id)
      return current.status === 'refunded' && current
    })
    expect(settled.refundedAt).toEqual(expect.any(String))
    await eventually(() => refundedCount(order.id) === 1)

    // A later redelivery of the same message changes nothing.
    const message = sim.deliveries.find(
      (delivery) =>
        delivery.update.message?.refunded_payment?.telegram_payment_charge_id ===
        order.telegramPaymentChargeId,
    )!.update.message!
    const { message_id: _id, ...rest } = message
    await sim.sendUpdate({ message: { message_id: 999_999, ...rest } })
    await sim.idle()
    await pay().runBackgroundWork()
    expect(refundedCount(order.id)).toBe(1)
    expect((await timeline(api, order.id)).filter((event) => event.startsWith('refunded:'))).toEqual([
      'refunded:telegram',
    ])
    // And the admin route now says it is refunded, without asking Telegram.
    const admin409 = await admin('POST', `/admin/orders/${order.id}/refund`)
    expect(admin409.status).toBe(409)
    expect(admin409.body.error.message).toMatch(/already refunded/)
  })

  it('marks an order refunded when Telegram says the charge is already refunded (its message was lost)', async () => {
    const { api, order } = await paidOrder()
    sim.fault({ type: 'drop', on: 'refunded_payment' })
    await pay().telegram.refundStarPayment(order.userId, order.telegramPaymentChargeId!)
    await sim.idle()
    expect((await api.getOrder(order.id)).status).toBe('paid')
    const response = await admin('POST', `/admin/orders/${order.id}/refund`)
    expect(response.status).toBe(409)
    expect(response.body.error.message).toMatch(/already refunded/)
    expect((await api.getOrder(order.id)).status).toBe('refunded')
    expect((await timeline(api, order.id)).filter((event) => event.startsWith('refunded:'))).toEqual([
      'refunded:admin',
    ])
    await eventually(() => refundedCount(order.id) === 1)
  })

  it('ignores a refunded_payment whose charge is not the order payment', async () => {
    const { api, order } = await paidOrder()
    await sim.sendUpdate({
      message: {
        message_id: 999_998,
        date: Math.floor(Date.now() / 1000),
        chat: { id: order.userId, type: 'private', first_name: 'Test' },
        refunded_payment: {
          currency: 'XTR',
          total_amount: order.amount,
          invoice_payload: order.id,
          telegram_payment_charge_id: 'stxSomeOtherCharge',
        },
      },
    })
    await sim.idle()
    expect((await api.getOrder(order.id)).status).toBe('paid')
    expect(refundedCount(order.id)).toBe(0)
  })

  it('lists every user’s orders for the admin, with filters, cursor and user_id', async () => {
    const first = newUser()
    const second = newUser()
    const { order: paidA } = await paidOrder(first)
    const apiA = userApi(sim, server.url, first)
    const createdA = await apiA.createOrder('gem')
    const createdB = await userApi(sim, server.url, second).createOrder()

    const all = await admin('GET', '/admin/orders?limit=100')
    expect(all.status).toBe(200)
    const ids = (all.body.data as Order[]).map((order) => order.id)
    expect(ids).toEqual(expect.arrayContaining([paidA.id, createdA.id, createdB.id]))
    expect(all.body.totalCount).toBeGreaterThanOrEqual(3)

    const onlyA = await admin('GET', `/admin/orders?user_id=${first}`)
    expect((onlyA.body.data as Order[]).map((order) => order.id)).toEqual([createdA.id, paidA.id])
    expect(onlyA.body.totalCount).toBe(2)

    const page1 = await admin('GET', `/admin/orders?user_id=${first}&limit=1`)
    expect(page1.body).toMatchObject({ hasMore: true, totalCount: 2 })
    expect(page1.body.data.map((order: Order) => order.id)).toEqual([createdA.id])
    const page2 = await admin('GET', `/admin/orders?user_id=${first}&limit=1&starting_after=${createdA.id}`)
    expect(page2.body).toMatchObject({ hasMore: false })
    expect(page2.body.data.map((order: Order) => order.id)).toEqual([paidA.id])

    const paidOnly = await admin('GET', `/admin/orders?user_id=${first}&status=paid`)
    expect(paidOnly.body.data.map((order: Order) => order.id)).toEqual([paidA.id])
    const future = await admin(
      'GET',
      `/admin/orders?created_gte=${new Date(Date.now() + 60_000).toISOString()}`,
    )
    expect(future.body).toMatchObject({ data: [], totalCount: 0 })

    const bad = await admin('GET', '/admin/orders?user_id=abc')
    expect(bad.status).toBe(400)
    expect(bad.body.error.code).toBe('validation_failed')
  })
})

describe('admin routes without an adminKey', () => {
  it('answer 404, as if absent', async () => {
    const database = await createTestDatabase('pglite')
    const pay = createPayServer({
      botToken: '123456789:TEST-simulator-token',
      webhookSecret,
      products: testProducts,
      store: database.open(),
      logger: { info() {}, warn() {}, error() {} },
      backgroundIntervalMs: false,
    })
    try {
      for (const [method, path] of [
        ['GET', '/admin/orders'],
        ['POST', '/admin/orders/ord_00000000000000000000000000/refund'],
      ] as const) {
        const response = await pay.fetch(
          new Request(`http://pay.test${path}`, { method, headers: { authorization: 'Bearer anything' } }),
        )
        expect(response.status).toBe(404)
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found')
      }
    } finally {
      await pay.close()
      await database.remove()
    }
  })
})
