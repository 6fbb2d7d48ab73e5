// Chats in the simulator: what a user writes (commands marked as Telegram marks them), what the bot sends
// (sendMessage with a Mini App button, formatted text, invoices) and a user paying an invoice message, over
// the Bot API, the simulator's methods and its control API.
import { InvoiceAlreadyPaidError, type Message, UnknownInvoiceError, validateObject } from 'tma-pay/testing'
import { describe, expect, it } from 'vitest'
import { callApi, startSimulator, startWebhook } from './helpers/simulator'

const invoice = {
  chat_id: 9,
  title: 'Magic book',
  description: 'A book of spells',
  payload: 'ord_chat_1',
  currency: 'XTR',
  prices: [{ label: 'Magic book', amount: 40 }],
}

describe("the user's messages", () => {
  it('are message updates from their private chat, with a bot_command entity for each command', async () => {
    const sim = await startSimulator()
    const entities = async (text: string) => (await sim.sendMessage({ userId: 11, text })).entities
    expect(await entities('/start')).toEqual([{ type: 'bot_command', offset: 0, length: 6 }])
    expect(await entities('/help@tma_pay_sim_bot now')).toEqual([
      { type: 'bot_command', offset: 0, length: 21 },
    ])
    // Offsets count UTF-16 code units: the emoji is two.
    expect(await entities('🙂 try /buy_2, not a/b or </x>')).toEqual([
      { type: 'bot_command', offset: 7, length: 6 },
    ])
    expect(await entities('just text')).toBeUndefined()

    const [update] = sim.pendingUpdates
    expect(update?.message).toMatchObject({
      from: { id: 11, is_bot: false, first_name: 'Test', language_code: 'en' },
      chat: { id: 11, type: 'private', first_name: 'Test' },
      text: '/start',
    })
    for (const pending of sim.pendingUpdates) expect(validateObject('Update', pending)).toEqual([])
    expect(sim.chat(11)).toHaveLength(4)
    await expect(sim.sendMessage({ userId: 11, text: ' ' })).rejects.toThrow(/1-4096/)
  })
})

describe('sendMessage', () => {
  it('returns the spec Message with the Mini App button, and records it in the chat', async () => {
    const sim = await startSimulator()
    await sim.sendMessage({ userId: 12, text: '/start', firstName: 'Kim', username: 'kim' })
    const { body } = await callApi(sim, 'sendMessage', {
      chat_id: 12,
      text: 'Welcome!',
      reply_markup: { inline_keyboard: [[{ text: 'Open shop', web_app: { url: 'https://shop.example/' } }]] },
    })
    expect(body.result).toMatchObject({
      from: { id: sim.botInfo.id, is_bot: true, username: sim.botInfo.username },
      chat: { id: 12, type: 'private', first_name: 'Kim', username: 'kim' },
      text: 'Welcome!',
      reply_markup: { inline_keyboard: [[{ text: 'Open shop', web_app: { url: 'https://shop.example/' } }]] },
    })
    expect(validateObject('Message', body.result)).toEqual([])
    expect(sim.chat(12).at(-1)).toEqual(body.result)
    expect(sim.messages).toHaveLength(2)
  })

  it('refuses an http:// Mini App unless it plays the test environment', async () => {
    const button = { inline_keyboard: [[{ text: 'Shop', web_app: { url: 'http://localhost:5173/' } }]] }
    const production = await startSimulator()
    expect(
      (await callApi(production, 'sendMessage', { chat_id: 1, text: 'x', reply_markup: button })).body,
    ).toEqual({
      ok: false,
      error_code: 400,
      description:
        "Bad Request: inline keyboard button Web App URL 'http://localhost:5173/' is invalid: Only HTTPS links are allowed",
    })
    const testEnvironment = await startSimulator({ allowHttpWebApps: true })
    const { body } = await callApi(testEnvironment, 'sendMessage', {
      chat_id: 1,
      text: 'x',
      reply_markup: button,
    })
    expect(body.ok).toBe(true)
  })

  it('parses formatted text, and counts the 4096 characters after parsing', async () => {
    // Calls that break the spec on purpose are no evidence for the conformance test: not recorded.
    const sim = await startSimulator({ recordDir: false })
    const send = (params: object) => callApi(sim, 'sendMessage', { chat_id: 13, ...params })
    const html = await send({
      text: '<b>Paid</b>: <a href="https://t.me/x">receipt</a> &amp; more',
      parse_mode: 'HTML',
    })
    expect(html.body.result).toMatchObject({
      text: 'Paid: receipt & more',
      entities: [
        { type: 'bold', offset: 0, length: 4 },
        { type: 'text_link', offset: 6, length: 7, url: 'https://t.me/x' },
      ],
    })
    expect((await send({ text: `<b>${'x'.repeat(4096)}</b>`, parse_mode: 'HTML' })).status).toBe(200)
    expect((await send({ text: 'x'.repeat(4097) })).body.description).toMatch(/1-4096 characters, got 4097/)
    expect((await send({ text: 'Total: 5.00', parse_mode: 'MarkdownV2' })).body.description).toMatch(
      /can't parse entities: Character '\.' is reserved/,
    )
    expect((await send({ text: 'Total: 5\\.00', parse_mode: 'MarkdownV2' })).body.result.text).toBe(
      'Total: 5.00',
    )
    expect((await send({ text: 'x', parse_mode: 'BBCode' })).status).toBe(400)
    expect((await send({ text: '<b></b>', parse_mode: 'HTML' })).status).toBe(400)
    expect((await callApi(sim, 'sendMessage', { chat_id: '@channel', text: 'x' })).body.description).toBe(
      'Bad Request: chat not found',
    )
  })
})

describe('sendInvoice', () => {
  it('returns the invoice message and records the invoice for the user to pay', async () => {
    const sim = await startSimulator()
    const { body } = await callApi(sim, 'sendInvoice', {
      ...invoice,
      start_parameter: 'book',
      photo_url: 'https://x.example/b.png',
    })
    expect(body.result).toMatchObject({
      chat: { id: 9, type: 'private' },
      from: { id: sim.botInfo.id, is_bot: true },
      invoice: {
        title: 'Magic book',
        description: 'A book of spells',
        start_parameter: 'book',
        currency: 'XTR',
        total_amount: 40,
      },
    })
    expect(validateObject('Message', body.result)).toEqual([])
    expect(sim.chatInvoices).toEqual([
      expect.objectContaining({
        chatId: 9,
        messageId: body.result.message_id,
        payload: 'ord_chat_1',
        totalAmount: 40,
        paidBy: [],
        photoUrl: 'https://x.example/b.png',
      }),
    ])
    expect(sim.invoices).toEqual([])
  })

  it('keeps the Stars rules of createInvoiceLink, the invoice total limit and a Pay button first', async () => {
    const sim = await startSimulator({ recordDir: false })
    const refused = async (override: object) =>
      (await callApi(sim, 'sendInvoice', { ...invoice, ...override })).body
    expect((await refused({ prices: [invoice.prices[0], invoice.prices[0]] })).description).toMatch(
      /one item for XTR/,
    )
    expect((await refused({ provider_token: '1:TEST:x' })).description).toMatch(
      /provider_token must be empty/,
    )
    expect((await refused({ currency: 'USD' })).description).toMatch(/provider_token is required/)
    // At most 100000 Stars an invoice (core's maxInvoiceAmount('XTR')).
    expect((await refused({ prices: [{ label: 'x', amount: 100_000 }] })).ok).toBe(true)
    expect((await refused({ prices: [{ label: 'x', amount: 100_001 }] })).description).toBe(
      'Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID',
    )
    expect((await refused({ title: 'x'.repeat(33) })).description).toMatch(/title must be 1-32/)
    const notPayFirst = { inline_keyboard: [[{ text: 'Shop', url: 'https://shop.example/' }]] }
    expect((await refused({ reply_markup: notPayFirst })).description).toMatch(
      /first button must be a Pay button/,
    )
    const payFirst = { inline_keyboard: [[{ text: 'Pay ⭐️40', pay: true }]] }
    expect((await refused({ reply_markup: payFirst })).ok).toBe(true)
    const inCard = await refused({
      currency: 'EUR',
      provider_token: '284685063:TEST:abc',
      prices: [
        { label: 'a', amount: 100 },
        { label: 'b', amount: 50 },
      ],
    })
    expect(inCard.result.invoice).toMatchObject({ currency: 'EUR', total_amount: 150 })
    expect(sim.chatInvoices).toHaveLength(3)
  })
})

describe('paying a chat invoice', () => {
  it('plays pre-checkout then successful_payment in the chat, once per user', async () => {
    const sim = await startSimulator()
    const webhook = await startWebhook((update) => {
      const query = update.pre_checkout_query
      if (query) void callApi(sim, 'answerPreCheckoutQuery', { pre_checkout_query_id: query.id, ok: true })
      return 200
    })
    await callApi(sim, 'setWebhook', { url: webhook.url })
    const sent: Message = (await callApi(sim, 'sendInvoice', invoice)).body.result

    expect((await sim.payChatInvoice(sent, { outcome: 'cancelled' })).outcome).toBe('cancelled')
    const payment = await sim.payChatInvoice({ chatId: 9 }, { firstName: 'Ann' })
    await sim.idle()

    expect(payment).toMatchObject({ outcome: 'paid', userId: 9, invoice: { messageId: sent.message_id } })
    expect(webhook.received.map((update) => Object.keys(update)[1])).toEqual([
      'pre_checkout_query',
      'message',
    ])
    expect(webhook.received[0]?.pre_checkout_query).toMatchObject({
      from: { id: 9, first_name: 'Ann' },
      total_amount: 40,
      invoice_payload: 'ord_chat_1',
    })
    const paid = webhook.received[1]?.message
    expect(paid).toMatchObject({
      chat: { id: 9, type: 'private' },
      successful_payment: {
        invoice_payload: 'ord_chat_1',
        total_amount: 40,
        telegram_payment_charge_id: payment.telegramPaymentChargeId,
      },
    })
    expect(sim.chat(9).at(-1)).toEqual(paid)
    for (const update of webhook.received) expect(validateObject('Update', update)).toEqual([])

    await expect(sim.payChatInvoice(sent.message_id)).rejects.toBeInstanceOf(InvoiceAlreadyPaidError)
    // Another user may pay it (a forwarded invoice), once too.
    expect((await sim.payChatInvoice(sent, { userId: 10 })).outcome).toBe('paid')
    expect(sim.chatInvoices[0]?.paidBy).toEqual([9, 10])
    await expect(sim.payChatInvoice(12345)).rejects.toBeInstanceOf(UnknownInvoiceError)
  })

  it('refuses a second payment while the first waits for its pre-checkout answer', async () => {
    const sim = await startSimulator({ preCheckoutTimeoutMs: 100 })
    const sent = (await callApi(sim, 'sendInvoice', invoice)).body.result
    const first = sim.payChatInvoice(sent)
    await expect(sim.payChatInvoice(sent)).rejects.toBeInstanceOf(InvoiceAlreadyPaidError)
    // Unanswered: nothing was paid, so the user may try again.
    expect((await first).outcome).toBe('no_answer')
    expect(sim.chatInvoices[0]?.paidBy).toEqual([])
  })
})

describe('control API', () => {
  it('sends a user message, shows a chat, and pays a chat invoice, for the browser page', async () => {
    const sim = await startSimulator({ preCheckoutTimeoutMs: 100 })
    const control = async (path: string, body?: object) => {
      const response = await fetch(`${sim.url}/sim/${path}`, {
        method: body ? 'POST' : 'GET',
        headers: { 'content-type': 'application/json' },
        body: body && JSON.stringify(body),
      })
      expect(response.headers.get('access-control-allow-origin')).toBe('*')
      // biome-ignore lint/suspicious/noExplicitAny: shapes are checked by the assertions
      return { status: response.status, body: (await response.json()) as any }
    }
    const sent = await control('messages', { userId: 21, text: '/start', firstName: 'Lee' })
    expect(sent).toMatchObject({
      status: 200,
      body: { chat: { id: 21 }, entities: [{ type: 'bot_command' }] },
    })
    expect((await control('messages', { userId: 21 })).status).toBe(400)
    await callApi(sim, 'sendMessage', { chat_id: 21, text: 'Hi Lee' })
    const chat = await control('chats/21')
    expect(chat.body.data.map((message: Message) => message.text)).toEqual(['/start', 'Hi Lee'])

    const invoiceMessage = (await callApi(sim, 'sendInvoice', { ...invoice, chat_id: 21 })).body.result
    expect((await control('chat-invoices/pay', {})).status).toBe(400)
    expect((await control('chat-invoices/pay', { messageId: 999 })).status).toBe(404)
    // Nobody answers the pre-checkout query here: Telegram gives up, and so does the simulator.
    expect((await control('chat-invoices/pay', { chatId: 21 })).body).toMatchObject({
      outcome: 'no_answer',
      userId: 21,
    })
    const cancelled = await control('chat-invoices/pay', {
      messageId: invoiceMessage.message_id,
      outcome: 'cancelled',
    })
    expect(cancelled.body.outcome).toBe('cancelled')
    const state = (await control('state')).body
    expect(state.counts).toMatchObject({ chatInvoices: 1, messages: 3 })
  })
})
