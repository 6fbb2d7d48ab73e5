// Entitlements (issue 13), on each store: what a user owns after paying, refunds, passes, the duplicate-purchase
// race of two devices, and the shop owner's grants and revocations.
import type { Entitlement, Order } from 'tma-pay'
import type { TelegramSimulator } from 'tma-pay/testing'
import { describe, expect, it } from 'vitest'
import { eventually, type RunningServer, storeKinds, testProducts, userApi, useStack } from './helpers/stack'

const adminKey = 'entitlements-admin-key-0123456789abcdef'
const DAY = 86_400
const products = [
  ...testProducts,
  {
    id: 'spellbook',
    title: 'Spellbook',
    description: 'Owned for good.',
    amount: 40,
    kind: 'non-consumable' as const,
  },
  {
    id: 'day-pass',
    title: 'Day pass',
    description: 'A day of access.',
    amount: 10,
    kind: 'pass' as const,
    durationSeconds: DAY,
    maxQuantity: 3,
  },
  {
    id: 'wizard-pass',
    title: 'Wizard Pass',
    description: 'Monthly.',
    amount: 250,
    subscriptionPeriod: 2_592_000,
  },
]

let nextUserId = 80_000
const newUser = () => nextUserId++

describe.each(storeKinds)('entitlements on %s', (kind) => {
  let sim: TelegramSimulator
  let server: RunningServer
  const paid: Order[] = []
  const refunded: Order[] = []
  useStack(
    kind,
    {
      adminKey,
      adminAuthThrottle: false,
      products,
      reconcile: false,
      onPaid: (order) => void paid.push(order),
      onRefunded: (order) => void refunded.push(order),
    },
    (stack) => {
      ;({ sim, server } = stack)
    },
  )

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
  const links = () => sim.calls.filter((call) => call.method === 'createInvoiceLink').length
  const owned = async (api: ReturnType<typeof userApi>) => {
    const response = await api.call('GET', '/entitlements')
    expect(response.status).toBe(200)
    return response.body.data as Entitlement[]
  }
  const entitlementOf = async (api: ReturnType<typeof userApi>, productId: string) =>
    (await owned(api)).find((entitlement) => entitlement.productId === productId)

  async function buy(api: ReturnType<typeof userApi>, userId: number, productId: string, extra = {}) {
    const order = await api.createOrder(productId, undefined, extra)
    expect((await sim.pay(order.invoiceUrl, { userId })).outcome).toBe('paid')
    return eventually(async () => {
      const current = await api.getOrder(order.id)
      return current.status === 'paid' && current
    })
  }

  it('lists the catalog with every product kind spelled out', async () => {
    const response = await fetch(`${server.url}/products`)
    const list = (await response.json()).data as { id: string; kind: string }[]
    expect(Object.fromEntries(list.map((product) => [product.id, product.kind]))).toEqual({
      'magic-book': 'consumable',
      gem: 'consumable',
      spellbook: 'non-consumable',
      'day-pass': 'pass',
      'wizard-pass': 'subscription',
    })
  })

  it('sells a non-consumable once: the owner gets 409 already_owned before Telegram is asked', async () => {
    const userId = newUser()
    const api = userApi(sim, server.url, userId)
    const order = await buy(api, userId, 'spellbook')
    const entitlement = await entitlementOf(api, 'spellbook')
    expect(entitlement).toMatchObject({ kind: 'non-consumable', active: true, orderId: order.id })
    expect(entitlement?.expiresAt).toBeUndefined()

    const before = links()
    const again = await api.call(
      'POST',
      '/orders',
      { productId: 'spellbook' },
      { 'idempotency-key': crypto.randomUUID() },
    )
    expect(again.status).toBe(409)
    expect(again.body.error).toMatchObject({
      code: 'already_owned',
      details: { productId: 'spellbook', orderId: order.id },
    })
    expect(links()).toBe(before)
    // A consumable is bought again and again.
    await buy(api, userId, 'magic-book')
    await buy(api, userId, 'magic-book')
  })

  it('gives a second device the order still open, not a second invoice', async () => {
    const userId = newUser()
    const phone = userApi(sim, server.url, userId)
    const laptop = userApi(sim, server.url, userId)
    const first = await phone.createOrder('spellbook')
    const before = links()
    const second = await laptop.call(
      'POST',
      '/orders',
      { productId: 'spellbook' },
      { 'idempotency-key': crypto.randomUUID() },
    )
    expect(second.status).toBe(200)
    expect(second.body.id).toBe(first.id)
    expect(links()).toBe(before)
    // Once that order has ended unpaid, a new one is made.
    await phone.call('POST', `/orders/${first.id}/client-status`, { status: 'cancelled' })
    const third = await laptop.call(
      'POST',
      '/orders',
      { productId: 'spellbook' },
      { 'idempotency-key': crypto.randomUUID() },
    )
    expect(third.status).toBe(201)
    expect(third.body.id).not.toBe(first.id)
  })

  it('extends a pass bought while active, and starts it again after it ran out', async () => {
    const userId = newUser()
    const api = userApi(sim, server.url, userId)
    const first = await buy(api, userId, 'day-pass')
    const one = await entitlementOf(api, 'day-pass')
    expect(one).toMatchObject({ kind: 'pass', active: true, orderId: first.id })
    const end = Date.parse(one!.expiresAt!)
    expect(Math.abs(end - (Date.parse(first.paidAt!) + DAY * 1000))).toBeLessThan(2000)

    const second = await buy(api, userId, 'day-pass', { quantity: 2 })
    const three = await entitlementOf(api, 'day-pass')
    expect(three).toMatchObject({ active: true, orderId: second.id, grantedAt: one!.grantedAt })
    expect(Date.parse(three!.expiresAt!)).toBe(end + 2 * DAY * 1000)

    // Ended by the shop owner: the next purchase starts a fresh day from its payment.
    expect(
      (await admin('POST', `/admin/users/${userId}/entitlements/day-pass/revoke`, { reason: 'test' })).status,
    ).toBe(200)
    expect((await entitlementOf(api, 'day-pass'))?.active).toBe(false)
    const third = await buy(api, userId, 'day-pass')
    const fresh = await entitlementOf(api, 'day-pass')
    expect(fresh).toMatchObject({ active: true, orderId: third.id })
    expect(Date.parse(fresh!.grantedAt)).toBeGreaterThanOrEqual(Date.parse(third.paidAt!) - 1000)
    expect(Math.abs(Date.parse(fresh!.expiresAt!) - (Date.parse(third.paidAt!) + DAY * 1000))).toBeLessThan(
      2000,
    )
  })

  it('a refund ends what it paid for: the non-consumable can be bought again, the pass loses its period', async () => {
    const userId = newUser()
    const api = userApi(sim, server.url, userId)
    const book = await buy(api, userId, 'spellbook')
    expect((await admin('POST', `/admin/orders/${book.id}/refund`, { reason: 'asked' })).status).toBe(200)
    expect(await entitlementOf(api, 'spellbook')).toMatchObject({ active: false, orderId: book.id })
    const again = await buy(api, userId, 'spellbook')
    expect(await entitlementOf(api, 'spellbook')).toMatchObject({ active: true, orderId: again.id })

    await buy(api, userId, 'day-pass')
    const extension = await buy(api, userId, 'day-pass')
    const before = await entitlementOf(api, 'day-pass')
    expect((await admin('POST', `/admin/orders/${extension.id}/refund`, {})).status).toBe(200)
    const after = await entitlementOf(api, 'day-pass')
    expect(Date.parse(after!.expiresAt!)).toBe(Date.parse(before!.expiresAt!) - DAY * 1000)
    expect(after?.active).toBe(true)
    await server.pay.runBackgroundWork()
    expect(refunded.filter((order) => order.id === book.id)).toHaveLength(1)
  })

  it('a subscription is an entitlement too, and its refund ends it', async () => {
    const userId = newUser()
    const api = userApi(sim, server.url, userId)
    const order = await buy(api, userId, 'wizard-pass')
    expect(await entitlementOf(api, 'wizard-pass')).toMatchObject({
      kind: 'subscription',
      active: true,
      orderId: order.id,
      expiresAt: order.subscription!.expiresAt,
    })
    await admin('POST', `/admin/orders/${order.id}/refund`, {})
    expect((await entitlementOf(api, 'wizard-pass'))?.active).toBe(false)
  })

  it('two devices paying for one non-consumable: both paid, the second flagged, no second onPaid', async () => {
    const userId = newUser()
    const phone = userApi(sim, server.url, userId)
    const laptop = userApi(sim, server.url, userId)
    // The phone's order said "cancelled" (a client's word, and often wrong), so the laptop opened its own; both
    // pre-checkouts are approved before either payment is on record (their webhooks are lost, and
    // reconciliation finds the two charges).
    const first = await phone.createOrder('spellbook')
    await phone.call('POST', `/orders/${first.id}/client-status`, { status: 'cancelled' })
    const second = await laptop.createOrder('spellbook')
    expect(second.id).not.toBe(first.id)
    const orders = [first, second]
    sim.fault({ type: 'drop', on: 'successful_payment', times: 2 })
    for (const order of orders) expect((await sim.pay(order.invoiceUrl, { userId })).outcome).toBe('paid')
    expect((await server.pay.reconcile()).applied).toBe(2)
    await server.pay.runBackgroundWork()
    const settled = await Promise.all(orders.map((order) => phone.getOrder(order.id)))
    expect(settled.map((order) => order.status)).toEqual(['paid', 'paid'])
    const duplicates = settled.filter((order) => order.duplicateOf)
    expect(duplicates).toHaveLength(1)
    const owner = settled.find((order) => !order.duplicateOf)!
    expect(duplicates[0]!.duplicateOf).toBe(owner.id)
    expect(paid.filter((order) => order.userId === userId).map((order) => order.id)).toEqual([owner.id])
    // Flagged for the shop owner: the admin list and the order's timeline.
    const list = (await admin('GET', `/admin/orders?user_id=${userId}`)).body.data as Order[]
    expect(list.find((order) => order.id === duplicates[0]!.id)?.duplicateOf).toBe(owner.id)
    const timeline = (await admin('GET', `/admin/orders/${duplicates[0]!.id}/timeline`)).body.events
    expect(timeline.at(-1)).toMatchObject({
      status: 'paid',
      detail: { duplicatePurchase: true, ownedBy: owner.id },
    })
    // Refunding the duplicate leaves the user owning it, and runs no onRefunded (nothing was fulfilled).
    expect((await admin('POST', `/admin/orders/${duplicates[0]!.id}/refund`, {})).status).toBe(200)
    await server.pay.runBackgroundWork()
    expect(await entitlementOf(phone, 'spellbook')).toMatchObject({ active: true, orderId: owner.id })
    expect(refunded.some((order) => order.id === duplicates[0]!.id)).toBe(false)
  })

  it('grants and revokes from the admin routes, with the reason on the timeline', async () => {
    const userId = newUser()
    const api = userApi(sim, server.url, userId)
    expect((await admin('GET', `/admin/users/${userId}/entitlements`)).body.data).toEqual([])
    const granted = await admin('POST', `/admin/users/${userId}/entitlements`, {
      productId: 'spellbook',
      reason: 'support ticket 42',
      by: 'owner',
    })
    expect(granted.status).toBe(200)
    expect(granted.body).toMatchObject({ productId: 'spellbook', kind: 'non-consumable', active: true })
    expect(granted.body.orderId).toBeUndefined()
    expect(await entitlementOf(api, 'spellbook')).toMatchObject({ active: true })
    // Owned now, so not for sale to them.
    expect((await api.call('POST', '/orders', { productId: 'spellbook' })).status).toBe(409)
    const pass = await admin('POST', `/admin/users/${userId}/entitlements`, {
      productId: 'day-pass',
      reason: 'apology',
      durationSeconds: 3600,
    })
    expect(Date.parse(pass.body.expiresAt) - Date.now()).toBeGreaterThan(3500 * 1000)

    const revoked = await admin('POST', `/admin/users/${userId}/entitlements/spellbook/revoke`, {
      reason: 'granted by mistake',
    })
    expect(revoked.body).toMatchObject({ productId: 'spellbook', active: false })
    expect((await entitlementOf(api, 'spellbook'))?.active).toBe(false)
    const timeline = await admin('GET', `/admin/users/${userId}/entitlements/spellbook/timeline`)
    expect(
      timeline.body.events.map((event: { action: string; source: string; detail: object }) => [
        event.action,
        event.source,
        event.detail,
      ]),
    ).toEqual([
      ['granted', 'admin', { reason: 'support ticket 42', by: 'owner' }],
      ['revoked', 'admin', { reason: 'granted by mistake' }],
    ])
    // What cannot be granted, or has no reason, is refused.
    for (const [body, status] of [
      [{ productId: 'gem', reason: 'x' }, 409],
      [{ productId: 'wizard-pass', reason: 'x' }, 409],
      [{ productId: 'nope', reason: 'x' }, 404],
      [{ productId: 'spellbook' }, 400],
      [{ productId: 'spellbook', reason: 'a\u0000' }, 400],
    ] as const) {
      const response = await admin('POST', `/admin/users/${userId}/entitlements`, body)
      expect({ body, status: response.status }).toEqual({ body, status })
    }
    expect(
      (await admin('POST', `/admin/users/${userId}/entitlements/never/revoke`, { reason: 'x' })).status,
    ).toBe(404)
  })

  it('another user sees nothing of it', async () => {
    const userId = newUser()
    const api = userApi(sim, server.url, userId)
    await buy(api, userId, 'spellbook')
    await buy(api, userId, 'day-pass')
    const stranger = userApi(sim, server.url, newUser())
    expect(await owned(stranger)).toEqual([])
    expect((await stranger.call('POST', '/orders', { productId: 'spellbook' })).status).toBe(201)
  })
})

describe.each(storeKinds)('duplicate purchases refunded automatically on %s', (kind) => {
  let sim: TelegramSimulator
  let server: RunningServer
  useStack(kind, { products, reconcile: false, refundDuplicatePurchases: true }, (stack) => {
    ;({ sim, server } = stack)
  })

  it('refunds the second payment of a non-consumable at once, and the first stays owned', async () => {
    const userId = newUser()
    const api = userApi(sim, server.url, userId)
    const first = await api.createOrder('spellbook')
    await api.call('POST', `/orders/${first.id}/client-status`, { status: 'cancelled' })
    const second = await api.createOrder('spellbook')
    expect(second.id).not.toBe(first.id)
    sim.fault({ type: 'drop', on: 'successful_payment', times: 2 })
    for (const order of [first, second]) await sim.pay(order.invoiceUrl, { userId })
    await server.pay.reconcile()
    await server.pay.runBackgroundWork()
    await sim.idle()
    const orders = await Promise.all([api.getOrder(first.id), api.getOrder(second.id)])
    const duplicate = orders.find((order) => order.duplicateOf)!
    expect(duplicate.status).toBe('refunded')
    const refundCalls = sim.calls.filter(
      (call) => call.method === 'refundStarPayment' && call.params.user_id === userId,
    )
    expect(refundCalls.map((call) => call.params.telegram_payment_charge_id)).toEqual([
      duplicate.telegramPaymentChargeId,
    ])
    const kept = orders.find((order) => !order.duplicateOf)!
    expect(kept.status).toBe('paid')
    const entitlements = (await api.call('GET', '/entitlements')).body.data as Entitlement[]
    expect(entitlements.find((entitlement) => entitlement.productId === 'spellbook')).toMatchObject({
      active: true,
      orderId: kept.id,
    })
  })
})
