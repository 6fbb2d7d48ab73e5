// The vanilla checkout (no React) against the pay server and the simulator playing Telegram.
import {
  createCheckout,
  createPayClient,
  type InvoiceOutcome,
  type PaymentState,
  type TelegramBridge,
} from 'tma-pay'
import { liveOrderStream } from 'tma-pay/live'
import type { TelegramSimulator } from 'tma-pay/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createSimulator,
  createTestDatabase,
  type RunningServer,
  startServer,
  type TestDatabase,
} from './helpers/stack'

function memoryStorage() {
  const items = new Map<string, string>()
  return {
    items,
    getItem: (name: string) => items.get(name) ?? null,
    setItem: (name: string, value: string) => void items.set(name, value),
    removeItem: (name: string) => void items.delete(name),
  }
}

describe('createCheckout', () => {
  let sim: TelegramSimulator
  let database: TestDatabase
  let server: RunningServer
  let nextUser = 11_000

  beforeAll(async () => {
    sim = await createSimulator()
    database = await createTestDatabase('pglite')
    server = await startServer(sim, database.open())
  })
  afterAll(async () => {
    await server?.close()
    await sim?.close()
    await database?.remove()
  })

  /** A Telegram client whose invoice sheet does what `act` says, through the simulator. */
  function setup(
    act: (invoiceUrl: string, userId: number) => Promise<InvoiceOutcome>,
    storage = memoryStorage(),
  ) {
    const userId = nextUser++
    const haptics: string[] = []
    const opened: string[] = []
    const telegram: TelegramBridge = {
      openInvoice: async (url) => {
        opened.push(url)
        return act(url, userId)
      },
      notify: (type) => void haptics.push(type),
    }
    const client = createPayClient({
      baseUrl: server.url,
      initData: sim.signInitData(userId),
      orderStream: liveOrderStream,
    })
    const make = () => createCheckout({ client, storage, telegram, pollInitialMs: 20, pollMaxMs: 100 })
    return { userId, haptics, opened, storage, client, make, checkout: make() }
  }

  const payAndSay = (say: InvoiceOutcome) => async (url: string, userId: number) => {
    await sim.pay(url, { userId })
    return say
  }

  it('pays: the result comes from the server, with haptics and the pending payment cleared', async () => {
    const { checkout, haptics, storage } = setup(payAndSay('paid'))
    const states: PaymentState['status'][] = []
    const payment = checkout.createPayment()
    payment.subscribe((state) => states.push(state.status))
    const result = await payment.pay('magic-book')
    expect(result.status).toBe('paid')
    expect(result.status === 'paid' && result.order.status).toBe('paid')
    expect(states).toEqual(['creating', 'awaiting_payment', 'confirming', 'paid'])
    expect(haptics).toEqual(['success'])
    expect(checkout.hasPendingPayment()).toBe(false)
    expect(JSON.parse(storage.items.get('tma-pay:pending-payment')!).state.pending).toBeNull()
  })

  it('cancels when the user closes the invoice', async () => {
    const { checkout, haptics } = setup(async () => 'cancelled')
    const result = await checkout.pay({ productId: 'magic-book' })
    expect(result.status).toBe('cancelled')
    expect(haptics).toEqual(['error'])
  })

  it('ends paid when the client reports "cancelled" for a payment it made (macOS)', async () => {
    const { checkout } = setup(payAndSay('cancelled'))
    expect((await checkout.pay('magic-book')).status).toBe('paid')
  })

  it('ends paid when a fast tap reports "failed" although the user was charged', async () => {
    const { checkout } = setup(payAndSay('failed'))
    expect((await checkout.pay('magic-book')).status).toBe('paid')
  })

  it('waits for the server when the invoice never reports back', async () => {
    const { checkout } = setup(payAndSay('unknown'))
    expect((await checkout.pay('magic-book')).status).toBe('paid')
  })

  it("shows a failure with the server's message, and a retry works", async () => {
    const { checkout } = setup(payAndSay('paid'))
    const payment = checkout.createPayment()
    const failed = await payment.pay('no-such-product')
    expect(failed.status).toBe('failed')
    expect(failed.status === 'failed' && failed.error.message).toBe(
      'No product "no-such-product" in the catalog.',
    )
    expect(failed.status === 'failed' && failed.error.code).toBe('product_not_found')
    expect((await payment.pay('magic-book')).status).toBe('paid')
  })

  it('makes one order for a double tap', async () => {
    const { checkout, opened, client } = setup(payAndSay('paid'))
    const payment = checkout.createPayment()
    const [first, second] = await Promise.all([payment.pay('magic-book'), payment.pay('magic-book')])
    expect(first).toBe(second)
    expect(opened).toHaveLength(1)
    expect((await client.listOrders()).totalCount).toBe(1)
    const [a, b] = await Promise.all([checkout.pay('gem'), checkout.pay('gem')])
    expect(a).toBe(b)
    expect((await client.listOrders()).totalCount).toBe(2)
  })

  it('resumes a payment left by a closed app: reopens the invoice and ends paid', async () => {
    const storage = memoryStorage()
    let closeApp = true
    const first = setup(async (url, userId) => {
      if (closeApp) return new Promise<InvoiceOutcome>(() => {}) // the app dies with the invoice open
      await sim.pay(url, { userId })
      return 'paid'
    }, storage)
    const payment = first.checkout.createPayment()
    const abandoned = payment.pay('magic-book')
    await expect.poll(() => first.opened.length).toBe(1)
    payment.reset()
    // reset() ends the flow at once, although the invoice never closed.
    await expect(abandoned).rejects.toMatchObject({ code: 'aborted' })
    closeApp = false

    const relaunched = first.make()
    expect(relaunched.hasPendingPayment()).toBe(true)
    const resumed = await relaunched.resumePayment()
    expect(resumed?.status).toBe('paid')
    expect(first.opened).toEqual([first.opened[0], first.opened[0]])
    expect(relaunched.hasPendingPayment()).toBe(false)
    expect(await relaunched.resumePayment()).toBeNull()
    expect((await first.client.listOrders()).totalCount).toBe(1)
  })

  it('resumes a payment that was paid while the app was closed: shows the result without reopening', async () => {
    const storage = memoryStorage()
    const first = setup(async (url, userId) => {
      await sim.pay(url, { userId })
      return new Promise<InvoiceOutcome>(() => {}) // paid, then the app died before invoice_closed
    }, storage)
    void first.checkout.createPayment().pay('magic-book')
    await expect.poll(async () => (await first.client.listOrders({ status: 'paid' })).totalCount).toBe(1)
    const relaunched = first.make()
    const resumed = await relaunched.resumePayment()
    expect(resumed?.status).toBe('paid')
    expect(first.opened).toHaveLength(1)
  })

  it('ignores corrupt, foreign and old-version storage', async () => {
    for (const stored of [
      '{not json',
      JSON.stringify({ state: { pending: { orderId: 42 } }, version: 1 }),
      JSON.stringify({ state: { pending: 'x' }, version: 1 }),
      JSON.stringify({
        state: {
          pending: {
            orderId: 'ord_1',
            idempotencyKey: 'k',
            invoiceUrl: 'u',
            productId: 'p',
            startedAt: '2020-01-01T00:00:00Z',
          },
        },
        version: 1,
      }),
      JSON.stringify({
        state: {
          pending: {
            orderId: 'ord_1',
            idempotencyKey: 'k',
            invoiceUrl: 'u',
            productId: 'p',
            startedAt: new Date().toISOString(),
          },
        },
        version: 0,
      }),
    ]) {
      const storage = memoryStorage()
      storage.items.set('tma-pay:pending-payment', stored)
      const { checkout } = setup(payAndSay('paid'), storage)
      expect({ stored, pending: checkout.hasPendingPayment() }).toEqual({ stored, pending: false })
      expect(await checkout.resumePayment()).toBeNull()
    }
  })

  it('queries an order', async () => {
    const { checkout } = setup(payAndSay('paid'))
    const result = await checkout.pay('gem')
    expect(result.status === 'paid' && (await checkout.queryOrder(result.order.id)).status).toBe('paid')
  })
})
