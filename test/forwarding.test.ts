// forwardUpdates: the built-in webhook passes every update tma-pay does not consume to the app's own webhook,
// as Telegram sent it and with the app's secret token, and answers Telegram with the app's status; tma-pay's own
// pre-checkouts and payments are never forwarded. pay.startPolling() does the same over getUpdates. On each store.
import type { Order } from 'tma-pay'
import { DEFAULT_UPDATE_TYPES } from 'tma-pay/server'
import type { TelegramSimulator } from 'tma-pay/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAppWebhook } from './helpers/app-webhook'
import {
  createSimulator,
  createTestDatabase,
  type RunningServer,
  startServer,
  storeKinds,
  type TestDatabase,
  userApi,
  useStack,
} from './helpers/stack'

const forwardSecret = 'the_apps_own_secret'

let nextUserId = 81_000
const newUser = () => nextUserId++

describe.each(storeKinds)('forwarding from the webhook on %s', (kind) => {
  let sim: TelegramSimulator
  let server: RunningServer
  let app: Awaited<ReturnType<typeof startAppWebhook>>
  const paid: Order[] = []

  beforeAll(async () => {
    app = await startAppWebhook()
  })
  afterAll(() => app.close())
  useStack(
    kind,
    {
      onPaid: (order) => void paid.push(order),
      // A getter: the app's webhook starts in the beforeAll above, before the stack's.
      get forwardUpdates() {
        return { url: app.url, secretToken: forwardSecret }
      },
    },
    (stack) => {
      ;({ sim, server } = stack)
    },
  )

  it("forwards a message as Telegram sent it, with the app's secret, and Telegram gets the app's 5xx (and redelivers)", async () => {
    const userId = newUser()
    let failures = 1
    app.answerWith(() => (failures-- > 0 ? { status: 503 } : { status: 200 }))
    const message = await sim.sendMessage({ userId, text: '/start' })
    await sim.idle()

    const got = app.received.filter((entry) => entry.update.message?.text === '/start')
    expect(got).toHaveLength(2)
    const delivered = sim.deliveries.filter(
      (delivery) => delivery.update.message?.message_id === message.message_id,
    )
    expect(delivered.map((delivery) => delivery.status)).toEqual([503, 200])
    // Byte for byte what Telegram posted, with the secret the app's webhook checks.
    expect(got[0]!.raw).toBe(JSON.stringify(delivered[0]!.update))
    expect(got[0]!.headers['x-telegram-bot-api-secret-token']).toBe(forwardSecret)
    expect(got[0]!.headers['content-type']).toBe('application/json')
    app.answerWith(() => ({ status: 200 }))
  })

  it("never forwards tma-pay's own pre-checkout or payment; another invoice's go to the app, whose webhook reply answers it", async () => {
    const userId = newUser()
    const user = userApi(sim, server.url, userId)
    const order = await user.createOrder('magic-book')
    const before = app.received.length
    expect((await sim.pay(order.invoiceUrl, { userId })).outcome).toBe('paid')
    await sim.idle()
    await server.pay.runBackgroundWork()
    expect((await user.getOrder(order.id)).status).toBe('paid')
    expect(paid.filter((p) => p.id === order.id)).toHaveLength(1)
    expect(app.received.slice(before)).toEqual([])

    // The app's own invoice: its webhook answers the pre-checkout in its reply, which Telegram carries out.
    app.answerWith((update) =>
      update.pre_checkout_query
        ? {
            status: 200,
            json: {
              method: 'answerPreCheckoutQuery',
              pre_checkout_query_id: update.pre_checkout_query.id,
              ok: true,
            },
          }
        : { status: 200 },
    )
    const link = await server.pay.telegram.createInvoiceLink('Old', 'The app’s', 'legacy-7', '', 'XTR', [
      { label: 'Old', amount: 3 },
    ])
    expect((await sim.pay(link, { userId })).outcome).toBe('paid')
    await sim.idle()
    const forwarded = app.received.slice(before)
    expect(forwarded.map((entry) => entry.update.pre_checkout_query?.invoice_payload ?? 'message')).toEqual([
      'legacy-7',
      'message',
    ])
    app.answerWith(() => ({ status: 200 }))
  })
})

describe.each(storeKinds)('pay.startPolling() on %s', (kind) => {
  let sim: TelegramSimulator
  let database: TestDatabase
  let server: RunningServer
  let app: Awaited<ReturnType<typeof startAppWebhook>>

  beforeAll(async () => {
    app = await startAppWebhook()
    sim = await createSimulator()
    database = await createTestDatabase(kind)
    server = await startServer(sim, database.open(), {
      webhookSecret: undefined,
      forwardUpdates: { url: app.url, secretToken: forwardSecret },
    })
  })
  afterAll(async () => {
    await server?.close()
    await sim?.close()
    await database?.remove()
    await app?.close()
  })

  it('removes the webhook, answers pre-checkouts, records the payment, forwards the rest, and stops cleanly', async () => {
    // startServer pointed the webhook at the server, as another deployment would have left it.
    expect(sim.webhook).toBeDefined()
    const polling = await server.pay.startPolling()
    expect(polling.removedWebhook).toBe(`${server.url}/telegram/webhook`)
    expect(sim.webhook).toBeUndefined()

    const userId = newUser()
    const user = userApi(sim, server.url, userId)
    const order = await user.createOrder('magic-book')
    sim.fault({ type: 'duplicate', on: 'successful_payment' })
    expect((await sim.pay(order.invoiceUrl, { userId })).outcome).toBe('paid')
    await sim.sendMessage({ userId, text: 'hello' })
    await sim.polled()
    expect((await user.getOrder(order.id)).status).toBe('paid')
    expect(app.received.map((entry) => entry.update.message?.text)).toEqual(['hello'])
    expect(app.received[0]!.headers['x-telegram-bot-api-secret-token']).toBe(forwardSecret)
    // With a forward URL, Telegram's default set (tma-pay's own types among them).
    const asked = sim.calls.find((call) => call.method === 'getUpdates')?.params.allowed_updates
    expect(asked).toEqual([...DEFAULT_UPDATE_TYPES])

    await polling.stop()
    await polling.done
    expect(sim.calls.at(-1)).toMatchObject({ method: 'getUpdates', params: { limit: 1 }, ok: true })
  })
})
