// The Telegram simulator against a bare node:http webhook receiver (and once against grammY), checking that it
// behaves as Telegram does: payments, webhook retries, faults, Bot API errors, the control API and init data.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parse, validate } from '@tma.js/init-data-node'
import { Bot, webhookCallback } from 'grammy'
import {
  createTelegramSimulator,
  signInitData,
  type TelegramSimulator,
  type TelegramSimulatorOptions,
  testUser,
  type Update,
  validateObject,
} from 'tma-pay/testing'
import { afterEach, describe, expect, it } from 'vitest'

interface Received {
  update: Update
  secret: string | undefined
  at: number
}

type Reply = (
  update: Update,
  headers: IncomingHttpHeaders,
) => Promise<number | undefined> | number | undefined

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function startReceiver(reply: Reply = () => 200) {
  const received: Received[] = []
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const update = JSON.parse(Buffer.concat(chunks).toString()) as Update
    const secret = request.headers['x-telegram-bot-api-secret-token'] as string | undefined
    received.push({ update, secret, at: Date.now() })
    response.statusCode = (await reply(update, request.headers)) ?? 200
    response.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(
    () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  )
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`, received }
}

async function startSimulator(options: TelegramSimulatorOptions = {}) {
  const sim = await createTelegramSimulator({ retryDelaysMs: [20, 40, 60], ...options })
  cleanups.push(() => sim.close())
  return sim
}

async function callApi(sim: TelegramSimulator, method: string, params: object = {}, token = sim.botToken) {
  const response = await fetch(`${sim.url}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  })
  // biome-ignore lint/suspicious/noExplicitAny: Bot API answers are checked field by field in the tests
  return { status: response.status, body: (await response.json()) as any }
}

const answerWith =
  (sim: TelegramSimulator, ok: boolean): Reply =>
  async (update) => {
    const query = update.pre_checkout_query
    if (query) {
      await callApi(sim, 'answerPreCheckoutQuery', {
        pre_checkout_query_id: query.id,
        ok,
        ...(!ok && { error_message: 'Sold out' }),
      })
    }
    return 200
  }

async function invoiceLink(sim: TelegramSimulator, overrides: object = {}): Promise<string> {
  const { body } = await callApi(sim, 'createInvoiceLink', {
    title: 'Magic book',
    description: 'A book of spells',
    payload: 'ord_01',
    currency: 'XTR',
    prices: [{ label: 'Magic book', amount: 50 }],
    ...overrides,
  })
  expect(body.ok, JSON.stringify(body)).toBe(true)
  return body.result
}

async function setWebhook(sim: TelegramSimulator, url: string, secret = 'webhook-secret_1') {
  const { body } = await callApi(sim, 'setWebhook', { url, secret_token: secret })
  expect(body).toEqual({ ok: true, result: true })
}

function expectValidUpdates(sim: TelegramSimulator) {
  for (const delivery of sim.deliveries) expect(validateObject('Update', delivery.update)).toEqual([])
}

describe('payments', () => {
  it('delivers pre_checkout_query with the secret, then successful_payment once approved', async () => {
    const sim = await startSimulator()
    const receiver = await startReceiver(answerWith(sim, true))
    await setWebhook(sim, receiver.url)
    const url = await invoiceLink(sim)
    expect(url).toMatch(/^https:\/\/t\.me\/\$[\w-]+$/)

    const payment = await sim.pay(url, { userId: 777, firstName: 'Ann' })
    await sim.idle()

    expect(payment.outcome).toBe('paid')
    expect(payment.preCheckout).toEqual({ ok: true })
    expect(payment.telegramPaymentChargeId).toMatch(/^stx/)
    const [query, paid] = receiver.received
    expect(receiver.received).toHaveLength(2)
    expect(query?.secret).toBe('webhook-secret_1')
    expect(query?.update.pre_checkout_query).toMatchObject({
      from: { id: 777, first_name: 'Ann', is_bot: false },
      currency: 'XTR',
      total_amount: 50,
      invoice_payload: 'ord_01',
    })
    expect(paid?.update.update_id).toBeGreaterThan(query!.update.update_id)
    expect(paid?.update.message).toMatchObject({
      chat: { id: 777, type: 'private' },
      successful_payment: {
        currency: 'XTR',
        total_amount: 50,
        invoice_payload: 'ord_01',
        telegram_payment_charge_id: payment.telegramPaymentChargeId,
      },
    })
    expect(sim.transactions).toHaveLength(1)
    expectValidUpdates(sim)
  })

  it('sends no successful_payment when the bot refuses at pre-checkout', async () => {
    const sim = await startSimulator()
    const receiver = await startReceiver(answerWith(sim, false))
    await setWebhook(sim, receiver.url)
    const payment = await sim.pay(await invoiceLink(sim), { userId: 1 })
    await sim.idle()
    expect(payment).toMatchObject({
      outcome: 'refused',
      preCheckout: { ok: false, errorMessage: 'Sold out' },
    })
    expect(receiver.received.map((r) => Object.keys(r.update))).toEqual([['update_id', 'pre_checkout_query']])
    expect(sim.transactions).toEqual([])
  })

  it('gives up when the bot does not answer in time, and rejects the late answer as Telegram does', async () => {
    const sim = await startSimulator({ preCheckoutTimeoutMs: 150 })
    const receiver = await startReceiver()
    await setWebhook(sim, receiver.url)
    const payment = await sim.pay(await invoiceLink(sim), { userId: 1 })
    expect(payment.outcome).toBe('no_answer')
    const late = await callApi(sim, 'answerPreCheckoutQuery', {
      pre_checkout_query_id: payment.preCheckoutQueryId,
      ok: true,
    })
    expect(late.status).toBe(400)
    expect(late.body.description).toBe(
      'Bad Request: query is too old and response timeout expired or query ID is invalid',
    )
  })

  it('sends nothing when the user cancels, and answers a query only once', async () => {
    const sim = await startSimulator()
    const receiver = await startReceiver(async (update) => {
      const id = update.pre_checkout_query?.id
      if (id) {
        await callApi(sim, 'answerPreCheckoutQuery', { pre_checkout_query_id: id, ok: true })
        const again = await callApi(sim, 'answerPreCheckoutQuery', { pre_checkout_query_id: id, ok: true })
        expect(again.status).toBe(400)
      }
      return 200
    })
    await setWebhook(sim, receiver.url)
    const url = await invoiceLink(sim)
    expect((await sim.pay(url, { userId: 1, outcome: 'cancelled' })).outcome).toBe('cancelled')
    expect(receiver.received).toEqual([])
    expect((await sim.pay(url, { userId: 1 })).outcome).toBe('paid')
  })

  it('sends subscription fields for a subscription invoice', async () => {
    const sim = await startSimulator()
    const receiver = await startReceiver(answerWith(sim, true))
    await setWebhook(sim, receiver.url)
    const url = await invoiceLink(sim, { subscription_period: 2592000 })
    const payment = await sim.pay(url, { userId: 5 })
    await sim.idle()
    const paid = receiver.received[1]?.update.message?.successful_payment
    expect(paid).toMatchObject({ is_recurring: true, is_first_recurring: true })
    expect(paid?.subscription_expiration_date).toBeGreaterThan(Date.now() / 1000 + 2591000)
    const cancel = {
      user_id: 5,
      telegram_payment_charge_id: payment.telegramPaymentChargeId,
      is_canceled: true,
    }
    expect((await callApi(sim, 'editUserStarSubscription', cancel)).body).toEqual({ ok: true, result: true })
    expect(sim.transactions[0]?.source?.subscription_period).toBe(2592000)
    expectValidUpdates(sim)
  })

  it('renews a subscription with a new charge one period on, until it is canceled or refunded', async () => {
    const sim = await startSimulator()
    const receiver = await startReceiver(answerWith(sim, true))
    await setWebhook(sim, receiver.url)
    const url = await invoiceLink(sim, { subscription_period: 2592000 })
    const first = await sim.pay(url, { userId: 6 })
    const second = await sim.renewSubscription(first.telegramPaymentChargeId!)
    expect(second).toMatchObject({ outcome: 'paid', userId: 6 })
    expect(second.telegramPaymentChargeId).not.toBe(first.telegramPaymentChargeId)
    expect(second.subscriptionExpirationDate).toBe(first.subscriptionExpirationDate! + 2592000)
    await sim.idle()
    const renewal = receiver.received.at(-1)?.update.message?.successful_payment
    expect(renewal).toMatchObject({
      is_recurring: true,
      subscription_expiration_date: second.subscriptionExpirationDate,
      telegram_payment_charge_id: second.telegramPaymentChargeId,
      invoice_payload: first.invoice.payload,
    })
    expect(renewal).not.toHaveProperty('is_first_recurring')
    // No pre-checkout for a renewal: Telegram charges the subscriber on its own.
    expect(receiver.received.filter(({ update }) => update.pre_checkout_query)).toHaveLength(1)
    expect(sim.transactions.at(-1)).toMatchObject({
      id: second.telegramPaymentChargeId,
      source: { subscription_period: 2592000 },
    })

    // Canceled with the latest charge: no renewal, by charge or by payload; re-enabled: renewals again.
    const edit = (is_canceled: boolean) =>
      callApi(sim, 'editUserStarSubscription', {
        user_id: 6,
        telegram_payment_charge_id: second.telegramPaymentChargeId,
        is_canceled,
      })
    expect((await edit(true)).body).toEqual({ ok: true, result: true })
    await expect(sim.renewSubscription(second.telegramPaymentChargeId!)).rejects.toThrow(/canceled/)
    await expect(sim.renewSubscription(first.invoice.payload)).rejects.toThrow(/canceled/)
    expect((await edit(false)).body).toEqual({ ok: true, result: true })
    const third = await sim.renewSubscription(first.invoice.payload)
    expect(third.subscriptionExpirationDate).toBe(first.subscriptionExpirationDate! + 2 * 2592000)

    await callApi(sim, 'refundStarPayment', {
      user_id: 6,
      telegram_payment_charge_id: third.telegramPaymentChargeId,
    })
    await expect(sim.renewSubscription(first.telegramPaymentChargeId!)).rejects.toThrow(/refunded/)
    await expect(sim.renewSubscription('no-such-charge')).rejects.toThrow(/no subscription/)
    // A one-off payment is no subscription.
    const oneOff = await sim.pay(await invoiceLink(sim), { userId: 6 })
    await expect(sim.renewSubscription(oneOff.telegramPaymentChargeId!)).rejects.toThrow(/no subscription/)
    expectValidUpdates(sim)
  })

  it('renews over the control API, for browsers and curl', async () => {
    const sim = await startSimulator()
    await setWebhook(sim, (await startReceiver(answerWith(sim, true))).url)
    const first = await sim.pay(await invoiceLink(sim, { subscription_period: 2592000 }), { userId: 7 })
    const renew = async (body: object) => {
      const response = await fetch(`${sim.url}/sim/subscriptions/renew`, {
        method: 'POST',
        body: JSON.stringify(body),
      })
      return { status: response.status, body: await response.json() }
    }
    const byPayload = await renew({ invoicePayload: first.invoice.payload })
    expect(byPayload).toMatchObject({ status: 200, body: { outcome: 'paid', userId: 7 } })
    expect((await renew({ chargeId: byPayload.body.telegramPaymentChargeId })).status).toBe(200)
    expect((await renew({})).status).toBe(400)
    expect(await renew({ chargeId: 'nope' })).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found' } },
    })
    await callApi(sim, 'editUserStarSubscription', {
      user_id: 7,
      telegram_payment_charge_id: first.telegramPaymentChargeId,
      is_canceled: true,
    })
    expect(await renew({ chargeId: first.telegramPaymentChargeId })).toMatchObject({
      status: 409,
      body: { error: { code: 'invalid_state' } },
    })
  })

  it('pays a different amount when told to, as a tampered invoice would', async () => {
    const sim = await startSimulator()
    const receiver = await startReceiver(answerWith(sim, true))
    await setWebhook(sim, receiver.url)
    await sim.pay(await invoiceLink(sim), { userId: 1, totalAmount: 1 })
    await sim.idle()
    expect(receiver.received.map((r) => r.update.pre_checkout_query?.total_amount)).toEqual([1, undefined])
    expect(receiver.received[1]?.update.message?.successful_payment?.total_amount).toBe(1)
    expect(sim.transactions[0]?.amount).toBe(1)
  })

  it('holds updates until a webhook is set', async () => {
    const sim = await startSimulator({ preCheckoutTimeoutMs: 100 })
    const receiver = await startReceiver()
    const payment = await sim.pay(await invoiceLink(sim), { userId: 1 })
    expect(payment.outcome).toBe('no_answer')
    expect((await callApi(sim, 'getWebhookInfo')).body.result).toMatchObject({
      url: '',
      pending_update_count: 1,
    })
    await setWebhook(sim, receiver.url)
    await sim.idle()
    expect(receiver.received).toHaveLength(1)
    expect((await callApi(sim, 'getWebhookInfo')).body.result).toMatchObject({
      url: receiver.url,
      pending_update_count: 0,
    })
  })
})

describe('webhook delivery', () => {
  it('redelivers the same update after non-2xx answers', async () => {
    const sim = await startSimulator()
    let failures = 2
    const receiver = await startReceiver(() => (failures-- > 0 ? 500 : 200))
    await setWebhook(sim, receiver.url)
    await sim.sendUpdate({
      message: { message_id: 1, date: 1, chat: { id: 1, type: 'private' }, text: 'hi' },
    })
    await sim.idle()
    expect(receiver.received.map((r) => r.update.update_id)).toEqual(
      Array(3).fill(receiver.received[0]?.update.update_id),
    )
    expect(sim.deliveries.map((d) => [d.attempt, d.status])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ])
    const info = (await callApi(sim, 'getWebhookInfo')).body.result
    expect(info.last_error_message).toContain('500')
  })

  it('gives up after the last retry, and counts an unreachable webhook as failed', async () => {
    const sim = await startSimulator({ retryDelaysMs: [10] })
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const { port } = probe.address() as AddressInfo
    await new Promise((resolve) => probe.close(resolve))
    await setWebhook(sim, `http://127.0.0.1:${port}/unreachable`)
    await sim.sendUpdate({
      message: { message_id: 1, date: 1, chat: { id: 1, type: 'private' }, text: 'hi' },
    })
    await sim.idle()
    expect(sim.deliveries.map((d) => [d.attempt, d.status, d.gaveUp])).toEqual([
      [1, 0, undefined],
      [2, 0, true],
    ])
  })

  it('drops: Telegram took the money though the webhook never hears of it', async () => {
    const sim = await startSimulator()
    const receiver = await startReceiver(answerWith(sim, true))
    await setWebhook(sim, receiver.url)
    sim.fault({ type: 'drop', on: 'successful_payment' })
    const payment = await sim.pay(await invoiceLink(sim), { userId: 1 })
    await sim.idle()
    expect(payment.outcome).toBe('paid')
    expect(receiver.received.filter((r) => r.update.message)).toEqual([])
    const { body } = await callApi(sim, 'getStarTransactions', {})
    expect(body.result.transactions[0].id).toBe(payment.telegramPaymentChargeId)
  })

  it('duplicates: the same update arrives count times', async () => {
    const sim = await startSimulator()
    const receiver = await startReceiver(answerWith(sim, true))
    await setWebhook(sim, receiver.url)
    sim.fault({ type: 'duplicate', on: 'successful_payment', count: 3 })
    await sim.pay(await invoiceLink(sim), { userId: 1 })
    await sim.idle()
    const paid = receiver.received.filter((r) => r.update.message?.successful_payment)
    expect(paid).toHaveLength(3)
    expect(new Set(paid.map((r) => r.update.update_id)).size).toBe(1)
  })

  it('delays an update by ms', async () => {
    const sim = await startSimulator()
    const receiver = await startReceiver()
    await setWebhook(sim, receiver.url)
    sim.fault({ type: 'delay', ms: 150 })
    const sentAt = Date.now()
    await sim.sendUpdate({
      message: { message_id: 1, date: 1, chat: { id: 1, type: 'private' }, text: 'late' },
    })
    expect(receiver.received).toEqual([])
    await sim.idle()
    expect(receiver.received[0]!.at - sentAt).toBeGreaterThanOrEqual(140)
  })

  it('reorders: a held update arrives after the next one', async () => {
    const sim = await startSimulator()
    const receiver = await startReceiver()
    await setWebhook(sim, receiver.url)
    sim.fault({ type: 'reorder' })
    const message = (text: string) => ({
      message: { message_id: 1, date: 1, chat: { id: 1, type: 'private' }, text },
    })
    await sim.sendUpdate(message('first'))
    await sim.sendUpdate(message('second'))
    await sim.idle()
    expect(receiver.received.map((r) => r.update.message?.text)).toEqual(['second', 'first'])
    expect(receiver.received[0]!.update.update_id).toBeGreaterThan(receiver.received[1]!.update.update_id)
  })

  it('rejects an update that is not spec in strict mode', async () => {
    const sim = await startSimulator({ recordDir: false })
    await expect(sim.sendUpdate({ message: { text: 'no ids' } })).rejects.toThrow(/message_id is required/)
  })
})

describe('Bot API', () => {
  it('answers like Telegram: 401 for a wrong token, 404 for an unknown method', async () => {
    const sim = await startSimulator({ recordDir: false })
    expect(await callApi(sim, 'getMe', {}, '1:wrong')).toEqual({
      status: 401,
      body: { ok: false, error_code: 401, description: 'Unauthorized' },
    })
    expect(await callApi(sim, 'sendDice')).toEqual({
      status: 404,
      body: { ok: false, error_code: 404, description: 'Not Found' },
    })
    expect((await callApi(sim, 'GETME')).body.result).toEqual(sim.botInfo)
    expect(validateObject('User', sim.botInfo)).toEqual([])
  })

  it('answers 400 to calls that break the spec', async () => {
    const sim = await startSimulator({ recordDir: false })
    const invoice = {
      title: 'Magic book',
      description: 'A book',
      payload: 'ord_01',
      currency: 'XTR',
      prices: [{ label: 'Book', amount: 50 }],
    }
    const cases: Array<[object, RegExp]> = [
      [{ title: 'x'.repeat(40) }, /title must be 1-32 characters, got 40/],
      [{ payload: 'é'.repeat(100) }, /payload must be 1-128 bytes, got 200/],
      [{ colour: 'red' }, /colour is not a field/],
      [
        {
          prices: [
            { label: 'a', amount: 1 },
            { label: 'b', amount: 1 },
          ],
        },
        /one item for XTR/,
      ],
      [{ provider_token: 'tok' }, /provider_token must be empty/],
      [{ subscription_period: 86400 }, /subscription_period must be 2592000/],
      [{ prices: [{ label: 'a', amount: '5' }] }, /prices\[0\]\.amount must be Integer/],
    ]
    for (const [override, message] of cases) {
      const { status, body } = await callApi(sim, 'createInvoiceLink', { ...invoice, ...override })
      expect(status).toBe(400)
      expect(body.error_code).toBe(400)
      expect(body.description).toMatch(/^Bad Request: /)
      expect(body.description).toMatch(message)
    }
    const secret = await callApi(sim, 'setWebhook', { url: 'http://127.0.0.1:1/', secret_token: 'has space' })
    expect(secret.body.description).toMatch(/secret_token/)
    expect((await callApi(sim, 'getStarTransactions', { limit: 101 })).status).toBe(400)
    expect(sim.invoices).toEqual([])
  })

  it('fails the next calls of a method on demand', async () => {
    const sim = await startSimulator()
    sim.failNext('createInvoiceLink')
    sim.failNext('getMe', { error_code: 429, retry_after: 3 }, 2)
    expect(
      await callApi(sim, 'createInvoiceLink', {
        title: 't',
        description: 'd',
        payload: 'p',
        currency: 'XTR',
        prices: [{ label: 'l', amount: 1 }],
      }),
    ).toEqual({
      status: 500,
      body: { ok: false, error_code: 500, description: 'Internal Server Error' },
    })
    await invoiceLink(sim)
    const limited = {
      ok: false,
      error_code: 429,
      description: 'Too Many Requests: retry after 3',
      parameters: { retry_after: 3 },
    }
    expect((await callApi(sim, 'getMe')).body).toEqual(limited)
    expect((await callApi(sim, 'getMe')).body).toEqual(limited)
    expect((await callApi(sim, 'getMe')).body.ok).toBe(true)
    expect(sim.invoices).toHaveLength(1)
  })

  it('takes GET query and form-encoded parameters too', async () => {
    const sim = await startSimulator()
    const get = await fetch(`${sim.url}/bot${sim.botToken}/getStarTransactions?offset=0&limit=5`)
    expect(await get.json()).toEqual({ ok: true, result: { transactions: [] } })
    const form = new URLSearchParams({
      title: 'Book',
      description: 'A book',
      payload: 'p',
      currency: 'XTR',
      prices: JSON.stringify([{ label: 'Book', amount: 1 }]),
    })
    const post = await fetch(`${sim.url}/bot${sim.botToken}/createInvoiceLink`, {
      method: 'POST',
      body: form,
    })
    expect(((await post.json()) as { result: string }).result).toMatch(/^https:\/\/t\.me\/\$/)
  })

  it('pages getStarTransactions newest first', async () => {
    const sim = await startSimulator()
    const receiver = await startReceiver(answerWith(sim, true))
    await setWebhook(sim, receiver.url)
    const charges: string[] = []
    for (const userId of [1, 2, 3]) {
      charges.push((await sim.pay(await invoiceLink(sim), { userId })).telegramPaymentChargeId!)
    }
    const first = (await callApi(sim, 'getStarTransactions', { offset: 0, limit: 2 })).body.result
    const second = (await callApi(sim, 'getStarTransactions', { offset: 2, limit: 2 })).body.result
    expect(first.transactions.map((t: { id: string }) => t.id)).toEqual([charges[2], charges[1]])
    expect(second.transactions.map((t: { id: string }) => t.id)).toEqual([charges[0]])
    expect(first.transactions[0].source).toMatchObject({
      type: 'user',
      transaction_type: 'invoice_payment',
      user: { id: 3 },
      invoice_payload: 'ord_01',
    })
    expect(validateObject('StarTransactions', first)).toEqual([])
  })

  it('refunds once, sends refunded_payment, and refuses a second refund', async () => {
    const sim = await startSimulator({ recordDir: false })
    const receiver = await startReceiver(answerWith(sim, true))
    await setWebhook(sim, receiver.url)
    const payment = await sim.pay(await invoiceLink(sim), { userId: 9 })
    const refund = { user_id: 9, telegram_payment_charge_id: payment.telegramPaymentChargeId }
    expect((await callApi(sim, 'refundStarPayment', refund)).body).toEqual({ ok: true, result: true })
    const again = await callApi(sim, 'refundStarPayment', refund)
    expect(again).toEqual({
      status: 400,
      body: { ok: false, error_code: 400, description: 'Bad Request: CHARGE_ALREADY_REFUNDED' },
    })
    const unknown = await callApi(sim, 'refundStarPayment', {
      ...refund,
      telegram_payment_charge_id: 'stxNope',
    })
    expect(unknown.status).toBe(400)
    await sim.idle()
    expect(receiver.received.at(-1)?.update.message?.refunded_payment).toMatchObject({
      total_amount: 50,
      telegram_payment_charge_id: payment.telegramPaymentChargeId,
    })
    expect(sim.transactions.at(-1)).toMatchObject({
      id: payment.telegramPaymentChargeId,
      receiver: { user: { id: 9 } },
    })
    expectValidUpdates(sim)
  })

  it('works with grammY as apiRoot and webhook receiver', async () => {
    const sim = await startSimulator()
    const bot = new Bot(sim.botToken, { botInfo: sim.botInfo, client: { apiRoot: sim.url } })
    const paidPayloads: string[] = []
    bot.on('pre_checkout_query', (ctx) => ctx.answerPreCheckoutQuery(true))
    bot.on('message:successful_payment', (ctx) => {
      paidPayloads.push(ctx.message.successful_payment.invoice_payload)
    })
    const server = createServer(webhookCallback(bot, 'http', { secretToken: 'grammy-secret' }))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    await bot.api.setWebhook(url, { secret_token: 'grammy-secret' })
    const link = await bot.api.createInvoiceLink('Book', 'A book', 'grammy-order', '', 'XTR', [
      { label: 'Book', amount: 7 },
    ])
    const payment = await sim.pay(link, { userId: 42 })
    await sim.idle()
    expect(payment.outcome).toBe('paid')
    expect(paidPayloads).toEqual(['grammy-order'])
  })
})

describe('control API', () => {
  it('pays, reports and signs init data over HTTP with CORS', async () => {
    const sim = await startSimulator()
    const receiver = await startReceiver(answerWith(sim, true))
    await setWebhook(sim, receiver.url)
    const url = await invoiceLink(sim)
    const slug = url.split('$')[1]!
    const control = async (path: string, body?: object) => {
      const response = await fetch(`${sim.url}/sim/${path}`, {
        method: body ? 'POST' : 'GET',
        headers: { 'content-type': 'application/json', origin: 'http://localhost:5173' },
        body: body && JSON.stringify(body),
      })
      expect(response.headers.get('access-control-allow-origin')).toBe('*')
      // biome-ignore lint/suspicious/noExplicitAny: shapes are checked by the assertions
      return { status: response.status, body: (await response.json()) as any }
    }

    const preflight = await fetch(`${sim.url}/sim/pay`, { method: 'OPTIONS' })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST')

    expect((await control(`invoices/${slug}`)).body).toMatchObject({
      slug,
      title: 'Magic book',
      totalAmount: 50,
    })
    expect((await control('invoices/nope')).status).toBe(404)
    expect((await control('pay', { slug: 'nope', userId: 1 })).status).toBe(404)
    expect((await control('fault', { type: 'explode' })).status).toBe(400)

    const paid = await control('pay', { invoiceUrl: url, userId: 3, outcome: 'paid' })
    expect(paid.body).toMatchObject({ outcome: 'paid', userId: 3, invoice: { slug } })
    await sim.idle()

    const state = (await control('state')).body
    expect(state).toMatchObject({ webhook: { url: receiver.url }, counts: { transactions: 1, invoices: 1 } })
    expect((await control('calls')).body.data.map((c: { method: string }) => c.method)).toContain(
      'createInvoiceLink',
    )
    expect((await control('deliveries')).body.data).toHaveLength(2)
    expect((await control('transactions')).body.data[0].id).toBe(paid.body.telegramPaymentChargeId)

    const { initData } = (await control('init-data', { userId: 3, firstName: 'Kim' })).body
    expect(() => validate(initData, sim.botToken)).not.toThrow()
    expect(parse(initData).user).toMatchObject({ id: 3, first_name: 'Kim' })
  })
})

describe('init data fixtures', () => {
  const botToken = '123456789:TEST-simulator-token'

  it('signs init data that @tma.js/init-data-node validates and parses', () => {
    const initData = signInitData({
      botToken,
      user: testUser(42, { username: 'kim', photo_url: 'https://t.me/i/userpic/320/kim.svg' }),
      startParam: 'magic-book',
    })
    expect(() => validate(initData, botToken)).not.toThrow()
    const parsed = parse(initData)
    expect(parsed.user).toMatchObject({ id: 42, first_name: 'Test', language_code: 'en', username: 'kim' })
    expect(parsed.start_param).toBe('magic-book')
    const params = new URLSearchParams(initData)
    expect(params.get('signature')).toMatch(/^[\w-]{86}$/)
    expect([...params.keys()]).toEqual([
      'user',
      'chat_instance',
      'chat_type',
      'start_param',
      'auth_date',
      'signature',
      'hash',
    ])
  })

  it('is rejected when tampered with, signed with another token, or old', () => {
    const initData = signInitData({ botToken, user: testUser(42) })
    const tampered = initData.replace(encodeURIComponent('"id":42'), encodeURIComponent('"id":43'))
    expect(tampered).not.toBe(initData)
    expect(() => validate(tampered, botToken)).toThrow()
    expect(() => validate(signInitData({ botToken: '1:other', user: testUser(42) }), botToken)).toThrow()
    const old = signInitData({ botToken, user: testUser(42), authDate: new Date(Date.now() - 2 * 86400_000) })
    expect(() => validate(old, botToken)).toThrow()
    expect(() => validate(old, botToken, { expiresIn: 0 })).not.toThrow()
  })
})
