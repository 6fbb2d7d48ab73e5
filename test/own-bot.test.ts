// An app's own grammY bot with pay.botMiddleware(), on a webhook (webhookCallback) and on long polling
// (bot.start()), against the simulator, on each store: the app's commands still answer, tma-pay's invoices (a
// Mini App's link, a chat invoice from /buy) are approved and paid through that bot once, and the invoices tma-pay
// did not make stay the app's. "Exactly once" is asserted after sim.idle() / sim.polled() and runBackgroundWork().
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Bot, InlineKeyboard, webhookCallback } from 'grammy'
import { Hono } from 'hono'
import type { Order } from 'tma-pay'
import { allowedUpdates, createPayServer, type PayServer } from 'tma-pay/server'
import type { TelegramSimulator } from 'tma-pay/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createSimulator,
  createTestDatabase,
  storeKinds,
  type TestDatabase,
  testProducts,
  userApi,
} from './helpers/stack'

type Mode = 'webhook' | 'polling'
const modes: Mode[] = ['webhook', 'polling']
const shopUrl = 'https://shop.example/app'
const appSecret = 'app_own_webhook_secret'

let nextUserId = 61_000
const newUser = () => nextUserId++

function listen(fetch: (request: Request) => Response | Promise<Response>) {
  return new Promise<{ url: string; close(): Promise<void> }>((resolve) => {
    const server = serve({ fetch, hostname: '127.0.0.1', port: 0 }, () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () =>
          new Promise((done) => {
            server.close(() => done())
            ;(server as Server).closeAllConnections()
          }),
      }),
    )
  })
}

describe.each(storeKinds.flatMap((kind) => modes.map((mode) => [kind, mode] as const)))(
  "an app's own bot with botMiddleware() on %s, by %s",
  (kind, mode) => {
    let sim: TelegramSimulator
    let database: TestDatabase
    let pay: PayServer
    let bot: Bot
    let apiUrl: string
    const closers: Array<() => Promise<void>> = []
    const paid: Order[] = []
    const errors: string[] = []
    // What reached the app's own handlers after botMiddleware().
    const appPreCheckouts: string[] = []
    const appPayments: string[] = []
    /** The point after which every update made so far was handled. */
    const settled = () => (mode === 'webhook' ? sim.idle() : sim.polled())

    beforeAll(async () => {
      sim = await createSimulator()
      database = await createTestDatabase(kind)
      pay = createPayServer({
        botToken: sim.botToken,
        apiRoot: sim.url,
        // No webhookSecret: the server has no webhook route; the app's bot brings the updates.
        products: testProducts,
        store: database.open(),
        logger: { info() {}, warn() {}, error: (message) => void errors.push(message) },
        backgroundIntervalMs: false,
        reconcile: false,
        fulfillment: { retryBaseMs: 50, retryMaxMs: 200, leaseMs: 2000 },
        async onPaid(order) {
          paid.push(order)
          // The thank-you, once per order (a handler after the middleware would see every redelivery).
          await pay.telegram.sendMessage(order.userId, `Thank you for ${order.title}!`)
        },
      })
      const api = await listen(pay.fetch)
      closers.push(api.close)
      apiUrl = api.url

      // The app's bot, as the README sets it up: tma-pay's middleware first, then the app's own handlers.
      bot = new Bot(sim.botToken, { botInfo: sim.botInfo, client: { apiRoot: sim.url } })
      bot.use(pay.botMiddleware())
      bot.command('start', (ctx) =>
        ctx.reply('Open the shop', { reply_markup: new InlineKeyboard().webApp('Shop', shopUrl) }),
      )
      bot.command('buy', async (ctx) => {
        await pay.sendInvoice({ chatId: ctx.chat.id, userId: ctx.from!.id, productId: 'gem', quantity: 2 })
      })
      // The app's older invoices, which tma-pay did not make, stay the app's to answer.
      bot.on('pre_checkout_query', async (ctx) => {
        appPreCheckouts.push(ctx.preCheckoutQuery.invoice_payload)
        await ctx.answerPreCheckoutQuery(true)
      })
      bot.on('message:successful_payment', (ctx) => {
        appPayments.push(ctx.message.successful_payment.invoice_payload)
      })

      if (mode === 'webhook') {
        const app = new Hono().post('/bot', webhookCallback(bot, 'hono', { secretToken: appSecret }))
        const webhook = await listen(app.fetch)
        closers.push(webhook.close)
        await bot.api.setWebhook(`${webhook.url}/bot`, {
          secret_token: appSecret,
          allowed_updates: allowedUpdates(['callback_query']),
        })
      } else {
        bot.catch((error) => void errors.push(String(error.error)))
        const before = sim.calls.length
        const stopped = bot.start({ allowed_updates: allowedUpdates() })
        closers.push(async () => {
          if (bot.isRunning()) await bot.stop()
          await stopped
        })
        // Polling once its first getUpdates arrived.
        while (!sim.calls.slice(before).some((call) => call.method === 'getUpdates'))
          await new Promise((resolve) => setTimeout(resolve, 5))
      }
    })

    afterAll(async () => {
      for (const close of closers.splice(0).reverse()) await close()
      await pay?.close()
      await sim?.close()
      await database?.remove()
    })

    it("answers the app's /start with the Mini App button", async () => {
      const userId = newUser()
      await sim.sendMessage({ userId, text: '/start' })
      await settled()
      expect(sim.chat(userId).at(-1)).toMatchObject({
        from: { is_bot: true },
        text: 'Open the shop',
        reply_markup: { inline_keyboard: [[{ text: 'Shop', web_app: { url: shopUrl } }]] },
      })
    })

    it("approves and records a Mini App order through the app's bot: onPaid once for repeated deliveries, and the app's handlers never see it", async () => {
      const userId = newUser()
      const user = userApi(sim, apiUrl, userId)
      const order = await user.createOrder('magic-book')
      sim.fault({ type: 'duplicate', on: 'successful_payment', count: 3 })
      const payment = await sim.pay(order.invoiceUrl, { userId })
      await settled()
      await pay.runBackgroundWork()

      expect(payment).toMatchObject({ outcome: 'paid', preCheckout: { ok: true } })
      expect(await user.getOrder(order.id)).toMatchObject({
        status: 'paid',
        telegramPaymentChargeId: payment.telegramPaymentChargeId,
      })
      expect(paid.filter((p) => p.id === order.id)).toHaveLength(1)
      expect(sim.chat(userId).filter((m) => m.text === 'Thank you for Magic Book!')).toHaveLength(1)
      expect(appPreCheckouts).not.toContain(order.id)
      expect(appPayments).not.toContain(order.id)
      if (mode === 'webhook') expect(new Set(sim.deliveries.map((d) => d.status))).toEqual(new Set([200]))
      expect(errors).toEqual([])
    })

    it('/buy sends a chat invoice; paid, it is an order like the others in GET /orders', async () => {
      const userId = newUser()
      await sim.sendMessage({ userId, text: '/buy' })
      await settled()
      const invoice = sim.chatInvoices.at(-1)!
      expect(invoice).toMatchObject({ chatId: userId, totalAmount: 10, currency: 'XTR' })
      const user = userApi(sim, apiUrl, userId)
      const listed = (await user.call('GET', '/orders')).body.data as Order[]
      expect(listed).toEqual([
        expect.objectContaining({ id: invoice.payload, status: 'created', quantity: 2, invoiceUrl: '' }),
      ])

      sim.fault({ type: 'duplicate', on: 'successful_payment' })
      const payment = await sim.payChatInvoice({ chatId: userId })
      await settled()
      await pay.runBackgroundWork()

      expect(payment).toMatchObject({ outcome: 'paid', preCheckout: { ok: true } })
      expect((await user.call('GET', '/orders')).body.data).toEqual([
        expect.objectContaining({
          id: invoice.payload,
          status: 'paid',
          telegramPaymentChargeId: payment.telegramPaymentChargeId,
        }),
      ])
      const timeline = (await user.call('GET', `/orders/${invoice.payload}/timeline`)).body.events
      expect(timeline.map((event: { status: string }) => event.status)).toEqual([
        'created',
        'processing',
        'paid',
      ])
      expect(timeline[0].detail).toMatchObject({
        invoiceUrl: '',
        chatId: userId,
        messageId: invoice.messageId,
      })
      expect(paid.filter((p) => p.id === invoice.payload)).toHaveLength(1)
      expect(appPayments).not.toContain(invoice.payload)
    })

    it("passes the pre-checkout and the payment of an invoice tma-pay did not make to the app's own handlers", async () => {
      const userId = newUser()
      // The app's own invoices: a payload of its own, and one shaped like an order id that names no order here.
      for (const payload of ['legacy-42', 'ord_00000000000000000000000000']) {
        await bot.api.sendInvoice(userId, 'Old pack', 'From before tma-pay', payload, 'XTR', [
          { label: 'Old pack', amount: 7 },
        ])
        const payment = await sim.payChatInvoice({ chatId: userId })
        expect(payment).toMatchObject({ outcome: 'paid', preCheckout: { ok: true } })
      }
      await settled()
      expect(appPreCheckouts.slice(-2)).toEqual(['legacy-42', 'ord_00000000000000000000000000'])
      expect(appPayments.slice(-2)).toEqual(['legacy-42', 'ord_00000000000000000000000000'])
    })

    it('logs and acknowledges a malformed payment of its own invoice; the bot runs on', async () => {
      const userId = newUser()
      const order = await userApi(sim, apiUrl, userId).createOrder('magic-book')
      const date = Math.floor(Date.now() / 1000)
      const person = { id: userId, is_bot: false, first_name: 'Test' }
      await sim.sendUpdate({
        message: {
          message_id: 1_000_000,
          date,
          chat: { id: userId, type: 'private', first_name: 'Test' },
          from: person,
          successful_payment: {
            currency: 'XTR',
            total_amount: order.amount,
            invoice_payload: order.id,
            telegram_payment_charge_id: 'stxMalformed',
            // PostgreSQL text cannot hold U+0000: never written, never thrown at the app's bot.
            provider_payment_charge_id: 'bad\u0000',
          },
        },
      })
      await sim.sendMessage({ userId, text: '/start' })
      await settled()
      expect(errors.splice(0)).toEqual([expect.stringMatching(/malformed successful_payment/)])
      expect((await userApi(sim, apiUrl, userId).getOrder(order.id)).status).toBe('created')
      expect(sim.chat(userId).at(-1)?.text).toBe('Open the shop')
      if (mode === 'webhook') expect(sim.deliveries.at(-1)?.status).toBe(200)
    })
  },
)
