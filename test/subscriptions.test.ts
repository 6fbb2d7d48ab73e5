// Stars subscriptions on each store: the first payment, renewals the simulator plays (is_recurring) on the
// same order, and the user's cancel / re-enable through editUserStarSubscription.
import type { Order, Subscription } from 'tma-pay'
import type { TelegramSimulator } from 'tma-pay/testing'
import { describe, expect, it } from 'vitest'
import { eventually, type RunningServer, storeKinds, testProducts, userApi, useStack } from './helpers/stack'

const PERIOD = 2_592_000
const subscriptionProduct = {
  id: 'wizard-pass',
  title: 'Wizard Pass',
  description: 'Monthly pass.',
  amount: 250,
  subscriptionPeriod: PERIOD,
}

let nextUserId = 30_000
const newUser = () => nextUserId++

interface TimelineEvent {
  status: string
  source: string
  detail: Record<string, unknown>
}

describe.each(storeKinds)('subscriptions on %s', (kind) => {
  let sim: TelegramSimulator
  let server: RunningServer
  const paid: Order[] = []

  useStack(
    kind,
    {
      products: [...testProducts, subscriptionProduct],
      onPaid: (order) => void paid.push(order),
    },
    (stack) => {
      ;({ sim, server } = stack)
    },
  )

  const subscriptionsOf = async (api: ReturnType<typeof userApi>) => {
    const response = await api.call('GET', '/subscriptions')
    expect(response.status).toBe(200)
    return response.body.data as Subscription[]
  }
  const timeline = async (api: ReturnType<typeof userApi>, id: string) =>
    (await api.call('GET', `/orders/${id}/timeline`)).body.events as TimelineEvent[]
  const paidEvents = async (api: ReturnType<typeof userApi>, id: string) =>
    (await timeline(api, id)).filter((event) => event.status === 'paid' && event.source === 'telegram')
  const setCanceled = (api: ReturnType<typeof userApi>, id: string, canceled: unknown) =>
    api.call('POST', `/orders/${id}/subscription`, { canceled })
  const editCalls = () => sim.calls.filter((call) => call.method === 'editUserStarSubscription')

  async function subscribe(userId = newUser()) {
    const api = userApi(sim, server.url, userId)
    const order = await api.createOrder('wizard-pass')
    const payment = await sim.pay(order.invoiceUrl, { userId })
    expect(payment.outcome).toBe('paid')
    const current = await eventually(async () => {
      const found = await api.getOrder(order.id)
      return found.status === 'paid' && found
    })
    return { api, order: current, userId }
  }

  /** Renews and waits until the order shows the new charge. */
  async function renew(api: ReturnType<typeof userApi>, order: Order) {
    const payment = await sim.renewSubscription(order.telegramPaymentChargeId!)
    expect(payment.outcome).toBe('paid')
    expect(payment.telegramPaymentChargeId).not.toBe(order.telegramPaymentChargeId)
    return eventually(async () => {
      const found = await api.getOrder(order.id)
      return found.telegramPaymentChargeId === payment.telegramPaymentChargeId && found
    })
  }

  it('first payment, two renewals on the same order, cancel, re-enable', async () => {
    const { api, order: first } = await subscribe()
    const firstExpiry = Date.parse(first.subscription!.expiresAt!)
    expect(Math.abs(firstExpiry - (Date.now() + PERIOD * 1000))).toBeLessThan(60_000)
    expect(first.subscription).toMatchObject({ period: PERIOD })
    expect(await subscriptionsOf(api)).toEqual([
      {
        orderId: first.id,
        productId: 'wizard-pass',
        period: PERIOD,
        active: true,
        expiresAt: first.subscription!.expiresAt,
        canceled: false,
      },
    ])

    // Two renewals: each one period on, on the same order, which takes the latest charge.
    const second = await renew(api, first)
    expect(Date.parse(second.subscription!.expiresAt!) - firstExpiry).toBe(PERIOD * 1000)
    const third = await renew(api, second)
    expect(Date.parse(third.subscription!.expiresAt!) - firstExpiry).toBe(2 * PERIOD * 1000)
    expect(third).toMatchObject({ id: first.id, status: 'paid', paidAt: first.paidAt })

    const charges = [first, second, third].map((order) => order.telegramPaymentChargeId!)
    expect(new Set(charges).size).toBe(3)
    expect([...(await server.pay.store.chargeStates(charges)).keys()].sort()).toEqual([...charges].sort())
    const events = await paidEvents(api, first.id)
    expect(events).toHaveLength(3)
    expect(events.slice(1).map((event) => event.detail)).toEqual([
      {
        renewal: true,
        telegramPaymentChargeId: charges[1],
        amount: 250,
        subscriptionExpiresAt: second.subscription!.expiresAt,
      },
      {
        renewal: true,
        telegramPaymentChargeId: charges[2],
        amount: 250,
        subscriptionExpiresAt: third.subscription!.expiresAt,
      },
    ])
    await eventually(() => paid.some((order) => order.id === first.id))
    await server.pay.runBackgroundWork()
    expect(paid.filter((order) => order.id === first.id)).toHaveLength(1)

    // Cancel: Telegram is told for the latest charge; the period paid for still runs.
    const canceled = await setCanceled(api, first.id, true)
    expect(canceled.status).toBe(200)
    expect(canceled.body).toMatchObject({ id: first.id, status: 'paid', subscription: { canceled: true } })
    expect(editCalls().at(-1)).toMatchObject({
      ok: true,
      params: { user_id: first.userId, telegram_payment_charge_id: charges[2], is_canceled: true },
    })
    expect(await subscriptionsOf(api)).toEqual([
      expect.objectContaining({ orderId: first.id, active: true, canceled: true }),
    ])
    expect((await timeline(api, first.id)).at(-1)).toMatchObject({
      status: 'paid',
      source: 'client',
      detail: { subscription: 'canceled' },
    })
    await expect(sim.renewSubscription(charges[2]!)).rejects.toThrow(/canceled/)

    // Re-enable: renewals work again, and one renews it.
    const reenabled = await setCanceled(api, first.id, false)
    expect(reenabled.status).toBe(200)
    expect(reenabled.body.subscription.canceled).toBe(false)
    expect(editCalls().at(-1)).toMatchObject({
      ok: true,
      params: { telegram_payment_charge_id: charges[2], is_canceled: false },
    })
    expect((await timeline(api, first.id)).at(-1)!.detail).toMatchObject({ subscription: 'reenabled' })
    expect((await subscriptionsOf(api))[0]).toMatchObject({ active: true, canceled: false })
    const fourth = await renew(api, reenabled.body as Order)
    expect(Date.parse(fourth.subscription!.expiresAt!) - firstExpiry).toBe(3 * PERIOD * 1000)
    expect(fourth.subscription!.canceled).toBe(false)
    expect(await paidEvents(api, first.id)).toHaveLength(4)
  })

  it('applies a renewal delivered twice once', async () => {
    const { api, order } = await subscribe()
    sim.fault({ type: 'duplicate', on: 'successful_payment', count: 3 })
    const renewed = await renew(api, order)
    await sim.idle()
    expect(await paidEvents(api, order.id)).toHaveLength(2)
    expect((await api.getOrder(order.id)).subscription).toEqual(renewed.subscription)
  })

  it('a refunded subscription is not active, and Telegram does not renew it', async () => {
    const { api, order } = await subscribe()
    await server.pay.telegram.refundStarPayment(order.userId, order.telegramPaymentChargeId!)
    await eventually(async () => (await api.getOrder(order.id)).status === 'refunded')
    expect(await subscriptionsOf(api)).toEqual([
      expect.objectContaining({ orderId: order.id, active: false }),
    ])
    // By its invoice payload (the order id) this time.
    await expect(sim.renewSubscription(order.id)).rejects.toThrow(/refunded/)
    const cancel = await setCanceled(api, order.id, true)
    expect(cancel.status).toBe(409)
    expect(cancel.body.error.code).toBe('invalid_state')
  })

  it("answers 404 for another user's order, 409 for a one-off order, 400 for a bad body", async () => {
    const { order } = await subscribe()
    const stranger = userApi(sim, server.url, newUser())
    const before = editCalls().length
    const foreign = await setCanceled(stranger, order.id, true)
    expect(foreign.status).toBe(404)
    expect(foreign.body.error.code).toBe('not_found')
    expect(await subscriptionsOf(stranger)).toEqual([])

    const book = await stranger.createOrder('magic-book')
    expect((await setCanceled(stranger, book.id, true)).status).toBe(409)
    await sim.pay(book.invoiceUrl, { userId: book.userId })
    await eventually(async () => (await stranger.getOrder(book.id)).status === 'paid')
    const oneOff = await setCanceled(stranger, book.id, true)
    expect(oneOff.status).toBe(409)
    expect(oneOff.body.error.code).toBe('invalid_state')
    expect(await subscriptionsOf(stranger)).toEqual([])

    const owner = userApi(sim, server.url, order.userId)
    for (const body of [
      {},
      { canceled: 'yes' },
      { canceled: 1 },
      { canceled: null },
      null,
      [],
      '{canceled',
    ]) {
      const bad = await owner.call('POST', `/orders/${order.id}/subscription`, body)
      expect(bad.status).toBe(400)
      expect(bad.body.error.code).toBe('validation_failed')
    }
    expect(editCalls().length).toBe(before)
  })

  it('answers 502 and changes nothing when Telegram refuses', async () => {
    const { api, order } = await subscribe()
    const eventsBefore = await timeline(api, order.id)
    sim.failNext('editUserStarSubscription', {
      error_code: 400,
      description: 'Bad Request: SUBSCRIPTION_NOT_FOUND',
    })
    const refused = await setCanceled(api, order.id, true)
    expect(refused.status).toBe(502)
    expect(refused.body.error.code).toBe('telegram_error')
    expect(await api.getOrder(order.id)).toEqual(order)
    expect(await timeline(api, order.id)).toEqual(eventsBefore)
    expect((await subscriptionsOf(api))[0]).toMatchObject({ orderId: order.id, canceled: false })
    // Telegram did not cancel it either: it still renews.
    await renew(api, order)
  })
})
