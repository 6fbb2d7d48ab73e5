// The fake pay client: every scripted scenario played through the real vanilla checkout, no server, no Telegram.
import { createCheckout, type OrderStatus, type PaymentState, type PaymentStatus } from 'tma-pay'
import { nextStatus, type OrderEventKind } from 'tma-pay/server'
import { createFakePayClient, type FakePayClientOptions, type FakeScenario } from 'tma-pay/testing'
import { describe, expect, it } from 'vitest'

function memoryStorage() {
  const items = new Map<string, string>()
  return {
    getItem: (name: string) => items.get(name) ?? null,
    setItem: (name: string, value: string) => void items.set(name, value),
    removeItem: (name: string) => void items.delete(name),
  }
}

function setup(scenario: FakeScenario | FakePayClientOptions, storage = memoryStorage()) {
  const fake = createFakePayClient(typeof scenario === 'string' ? { scenario, delayMs: 5 } : scenario)
  const make = (invoiceTimeoutMs?: number) =>
    createCheckout({
      client: fake,
      telegram: fake.telegram,
      storage,
      pollInitialMs: 10,
      pollMaxMs: 20,
      ...(invoiceTimeoutMs !== undefined && { invoiceTimeoutMs }),
    })
  return { fake, storage, make, checkout: make() }
}

const eventKinds: OrderEventKind[] = [
  'client_opened',
  'client_cancelled',
  'client_failed',
  'precheckout_approved',
  'precheckout_refused',
  'payment_succeeded',
  'expired',
  'refunded',
]

/** True when every step from one status to the next is a transition the status machine allows. */
const followsMachine = (statuses: OrderStatus[]) =>
  statuses.slice(1).every((to, index) => eventKinds.some((kind) => nextStatus(statuses[index]!, kind) === to))

/** The statuses an order's timeline went through. */
async function statusesOf(fake: ReturnType<typeof createFakePayClient>, orderId: string) {
  return (await fake.getTimeline(orderId)).events.map((event) => event.status)
}

describe('createFakePayClient', () => {
  const cases: Array<{
    scenario: FakeScenario
    state: PaymentStatus
    order: OrderStatus
    timeline: OrderStatus[]
    haptic: 'success' | 'error'
  }> = [
    {
      scenario: 'paid',
      state: 'paid',
      order: 'paid',
      timeline: ['created', 'pending', 'processing', 'paid'],
      haptic: 'success',
    },
    {
      scenario: 'cancelled',
      state: 'cancelled',
      order: 'cancelled',
      timeline: ['created', 'pending', 'cancelled'],
      haptic: 'error',
    },
    {
      scenario: 'failed',
      state: 'failed',
      order: 'failed',
      timeline: ['created', 'pending', 'failed'],
      haptic: 'error',
    },
    {
      scenario: 'cancelled-but-paid',
      state: 'paid',
      order: 'paid',
      timeline: ['created', 'pending', 'processing', 'paid'],
      haptic: 'success',
    },
    {
      scenario: 'expired',
      state: 'expired',
      order: 'expired',
      timeline: ['created', 'pending', 'expired'],
      haptic: 'error',
    },
  ]

  for (const { scenario, state, order, timeline, haptic } of cases) {
    it(`'${scenario}' ends ${state} through createCheckout`, async () => {
      const { fake, checkout } = setup(scenario)
      const payment = checkout.createPayment()
      const states: PaymentState['status'][] = []
      payment.subscribe((next) => states.push(next.status))
      const result = await payment.pay('magic-book')
      expect(result.status).toBe(state)
      expect(states).toEqual(['creating', 'awaiting_payment', 'confirming', state])
      expect(fake.orders.map((entry) => entry.status)).toEqual([order])
      expect(await statusesOf(fake, fake.orders[0]!.id)).toEqual(timeline)
      expect(followsMachine(timeline)).toBe(true)
      expect(fake.telegram.haptics).toEqual([haptic])
      expect(fake.telegram.opened).toEqual([fake.orders[0]!.invoiceUrl])
      expect(checkout.hasPendingPayment()).toBe(false)
    })
  }

  it("'failed' carries a payment_failed error and the failed order", async () => {
    const { checkout } = setup('failed')
    const result = await checkout.pay('magic-book')
    expect(result.status === 'failed' && [result.error.code, result.order?.status]).toEqual([
      'payment_failed',
      'failed',
    ])
  })

  it("'slow' is paid, each call taking delayMs", async () => {
    const { fake, checkout } = setup({ scenario: 'slow', delayMs: 60 })
    const started = performance.now()
    expect((await checkout.pay('magic-book')).status).toBe('paid')
    // createOrder, report 'pending', the invoice, report 'paid': four waits at least.
    expect(performance.now() - started).toBeGreaterThanOrEqual(4 * 60 - 5)
    expect(fake.scenario).toBe('slow')
  })

  it("'network-error' fails order creation; with failFirst a retry works", async () => {
    const { fake, checkout } = setup({ scenario: 'network-error', failFirst: 1, delayMs: 5 })
    const payment = checkout.createPayment()
    const failed = await payment.pay('magic-book')
    expect(failed.status).toBe('failed')
    expect(failed.status === 'failed' && [failed.error.code, failed.order]).toEqual([
      'network_error',
      undefined,
    ])
    expect(fake.orders).toEqual([])
    expect(fake.telegram.haptics).toEqual(['error'])

    const retried = await payment.pay('magic-book')
    expect(retried.status).toBe('paid')
    expect(fake.orders.map((order) => order.status)).toEqual(['paid'])
    expect(fake.calls.filter((call) => call.method === 'createOrder')).toHaveLength(2)
  })

  it("'network-error' without failFirst fails every attempt", async () => {
    const { fake, checkout } = setup('network-error')
    for (let attempt = 0; attempt < 3; attempt++) {
      const result = await checkout.pay('magic-book')
      expect(result.status === 'failed' && result.error.code).toBe('network_error')
    }
    expect(fake.orders).toEqual([])
  })

  it("'closed-mid-payment' leaves the order pending and the payment stored; a resume after paying ends paid", async () => {
    const { fake, checkout, make } = setup('closed-mid-payment')
    const payment = checkout.createPayment()
    // Rejects with 'aborted' once reset below: the app that waited for it is gone.
    const abandoned = payment.pay('magic-book').catch((error: unknown) => error)
    await expect.poll(() => fake.telegram.isOpen).toBe(true)
    expect(payment.getState().status).toBe('awaiting_payment')
    expect(fake.orders.map((order) => order.status)).toEqual(['pending'])
    expect(checkout.hasPendingPayment()).toBe(true)

    // The app closes with the invoice open; next launch, the user pays.
    payment.reset()
    fake.setScenario('paid')
    const relaunched = make()
    expect(relaunched.hasPendingPayment()).toBe(true)
    const resumed = await relaunched.resumePayment()
    expect(resumed?.status).toBe('paid')
    expect(fake.telegram.opened).toHaveLength(2)
    expect(new Set(fake.telegram.opened).size).toBe(1)
    expect(fake.orders.map((order) => order.status)).toEqual(['paid'])
    expect(relaunched.hasPendingPayment()).toBe(false)
    expect(await abandoned).toMatchObject({ code: 'aborted' })
  })

  it("'closed-mid-payment' ends when the invoice is closed by hand", async () => {
    const { fake, checkout } = setup('closed-mid-payment')
    const result = checkout.pay('magic-book')
    await expect.poll(() => fake.telegram.isOpen).toBe(true)
    expect(await fake.telegram.closeInvoice('cancelled-but-paid')).toBe(true)
    expect((await result).status).toBe('paid')
    expect(await fake.telegram.closeInvoice()).toBe(false)
  })

  it("'closed-mid-payment' asks the server after the invoice timeout (the order is still pending)", async () => {
    const { fake, make } = setup('closed-mid-payment')
    const payment = make(30).createPayment()
    void payment.pay('magic-book')
    await expect
      .poll(() => payment.getState())
      .toMatchObject({ status: 'confirming', invoiceStatus: 'unknown' })
    fake.apply(fake.orders[0]!.id, 'precheckout_approved')
    fake.apply(fake.orders[0]!.id, 'payment_succeeded')
    await expect.poll(() => payment.getState().status).toBe('paid')
  })

  it('orders move only as the status machine allows', async () => {
    const { fake, checkout } = setup('cancelled')
    const result = await checkout.pay('magic-book')
    const id = result.status === 'cancelled' ? result.order.id : ''
    // A refund of an unpaid order does not apply; a late successful_payment pays a cancelled order.
    expect(nextStatus('cancelled', 'refunded')).toBeUndefined()
    expect(fake.apply(id, 'refunded').status).toBe('cancelled')
    expect(fake.apply(id, 'payment_succeeded').status).toBe(nextStatus('cancelled', 'payment_succeeded'))
    // The client's word never moves a paid order.
    expect((await fake.reportClientStatus(id, 'cancelled')).status).toBe('paid')
    expect((await fake.reportClientStatus(id, 'failed')).status).toBe('paid')
    expect(fake.apply(id, 'refunded').status).toBe('refunded')
    const timeline = (await fake.getTimeline(id)).events
    expect(timeline.map((event) => [event.status, event.source])).toEqual([
      ['created', 'server'],
      ['pending', 'client'],
      ['cancelled', 'client'],
      ['paid', 'telegram'],
      ['refunded', 'telegram'],
    ])
    expect(followsMachine(timeline.map((event) => event.status))).toBe(true)
    const order = fake.orders[0]!
    expect(order.paidAt && order.refundedAt && order.telegramPaymentChargeId).toBeTruthy()
  })

  it('expires unpaid orders past their time on read, as the server does', async () => {
    const fake = createFakePayClient({ delayMs: 0, orderTtlMs: 20 })
    const order = await fake.createOrder({ productId: 'magic-book' })
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect((await fake.getOrder(order.id)).status).toBe('expired')
  })

  it('keeps a catalog, makes one order per idempotency key, and lists newest first', async () => {
    const fake = createFakePayClient({
      delayMs: 0,
      products: [
        { id: 'a', title: 'A', description: 'A thing.', amount: 3, maxQuantity: 2 },
        { id: 'b', title: 'B', description: 'B thing.', amount: 7 },
        { id: 'gone', title: 'Gone', description: 'Not sold.', amount: 1, active: false },
      ],
    })
    expect((await fake.listProducts()).map((product) => product.id)).toEqual(['a', 'b'])
    const first = await fake.createOrder({ productId: 'a', quantity: 2 }, { idempotencyKey: 'k1' })
    expect(first).toMatchObject({ amount: 6, currency: 'XTR', status: 'created', quantity: 2 })
    expect(first.id).toMatch(/^ord_/)
    expect(first.invoiceUrl).toMatch(/^https:\/\/t\.me\/\$[A-Za-z0-9\-_=]+$/)
    expect((await fake.createOrder({ productId: 'a', quantity: 2 }, { idempotencyKey: 'k1' })).id).toBe(
      first.id,
    )
    await expect(fake.createOrder({ productId: 'b' }, { idempotencyKey: 'k1' })).rejects.toMatchObject({
      code: 'idempotency_conflict',
    })
    await expect(fake.createOrder({ productId: 'nope' })).rejects.toMatchObject({ code: 'product_not_found' })
    await expect(fake.createOrder({ productId: 'gone' })).rejects.toMatchObject({
      code: 'product_unavailable',
    })
    await expect(fake.createOrder({ productId: 'a', quantity: 3 })).rejects.toMatchObject({
      code: 'validation_failed',
    })
    await expect(fake.getOrder('ord_missing')).rejects.toMatchObject({ code: 'not_found', status: 404 })

    const second = await fake.createOrder({ productId: 'b' })
    const third = await fake.createOrder({ productId: 'b' })
    const page = await fake.listOrders({ limit: 2 })
    expect(page.data.map((order) => order.id)).toEqual([third.id, second.id])
    expect([page.hasMore, page.totalCount]).toEqual([true, 3])
    const next = await fake.listOrders({ limit: 2, startingAfter: second.id })
    expect(next.data.map((order) => order.id)).toEqual([first.id])
    expect(next.hasMore).toBe(false)
    expect((await fake.listOrders({ status: 'paid' })).totalCount).toBe(0)

    expect(fake.calls.slice(0, 2)).toEqual([
      { method: 'listProducts', args: [] },
      { method: 'createOrder', args: [{ productId: 'a', quantity: 2 }, { idempotencyKey: 'k1' }] },
    ])
    // Returned orders are copies: changing one does not change the fake's.
    first.status = 'paid'
    expect((await fake.getOrder(first.id)).status).toBe('created')
    fake.reset()
    expect([fake.orders, fake.calls]).toEqual([[], []])
  })

  it('makes one order for a double tap', async () => {
    const { fake, checkout } = setup('paid')
    const [a, b] = await Promise.all([checkout.pay('magic-book'), checkout.pay('magic-book')])
    expect(a).toBe(b)
    expect(fake.orders).toHaveLength(1)
  })

  it('keeps a paid subscription that can be canceled and re-enabled', async () => {
    const { fake, checkout } = setup('paid')
    expect(await fake.listSubscriptions()).toEqual([])
    const book = await checkout.pay('magic-book')
    const pass = await checkout.pay('wizard-pass')
    const [subscription] = await fake.listSubscriptions()
    expect(subscription).toMatchObject({
      orderId: pass.order?.id,
      productId: 'wizard-pass',
      active: true,
      canceled: false,
    })
    expect(Date.parse(subscription!.expiresAt!) - Date.now()).toBeGreaterThan(2_591_000_000)
    expect((await fake.setSubscriptionCanceled(pass.order!.id, true)).subscription?.canceled).toBe(true)
    expect((await fake.listSubscriptions())[0]).toMatchObject({ active: true, canceled: true })
    expect((await fake.setSubscriptionCanceled(pass.order!.id, false)).subscription?.canceled).toBe(false)
    await expect(fake.setSubscriptionCanceled(book.order!.id, true)).rejects.toMatchObject({
      code: 'invalid_state',
      status: 409,
    })
  })

  it('rejects an invoice it did not make', async () => {
    const fake = createFakePayClient()
    await expect(
      fake.telegram.openInvoice('https://t.me/$elsewhere', { timeoutMs: 100 }),
    ).rejects.toMatchObject({
      code: 'invoice_unavailable',
    })
  })

  it('sells a non-consumable once, as the server does, and lists what the user owns', async () => {
    const { fake, checkout } = setup('paid')
    expect(await checkout.listEntitlements()).toEqual([])
    const book = await checkout.pay('magic-book')
    expect(book.status).toBe('paid')
    expect(await checkout.listEntitlements()).toEqual([
      expect.objectContaining({
        productId: 'magic-book',
        kind: 'non-consumable',
        active: true,
        orderId: book.order!.id,
      }),
    ])
    await expect(fake.createOrder({ productId: 'magic-book' })).rejects.toMatchObject({
      code: 'already_owned',
      status: 409,
      details: { productId: 'magic-book', orderId: book.order!.id },
    })
    // A consumable sells again and again.
    expect((await checkout.pay('crystal-pack')).status).toBe('paid')
    expect((await checkout.pay('crystal-pack')).status).toBe('paid')
  })

  it('gives the open order of a non-consumable back instead of a second one', async () => {
    const fake = createFakePayClient({ delayMs: 0 })
    const first = await fake.createOrder({ productId: 'dragon-skin' })
    expect((await fake.createOrder({ productId: 'dragon-skin' })).id).toBe(first.id)
  })

  it('extends a pass bought while it runs, and starts owners off with what `owned` grants', async () => {
    const { checkout } = setup('paid')
    await checkout.pay('day-pass')
    const [once] = await checkout.listEntitlements()
    await checkout.pay('day-pass')
    const [twice] = await checkout.listEntitlements()
    expect(twice).toMatchObject({
      productId: 'day-pass',
      kind: 'pass',
      active: true,
      grantedAt: once!.grantedAt,
    })
    expect(Date.parse(twice!.expiresAt!) - Date.parse(once!.expiresAt!)).toBe(86_400_000)

    const owner = createFakePayClient({ delayMs: 0, owned: ['magic-book', 'day-pass'] })
    const owned = await owner.listEntitlements()
    expect(owned.map((entitlement) => [entitlement.productId, entitlement.active])).toEqual([
      ['magic-book', true],
      ['day-pass', true],
    ])
    await expect(owner.createOrder({ productId: 'magic-book' })).rejects.toMatchObject({
      code: 'already_owned',
    })
  })
})
