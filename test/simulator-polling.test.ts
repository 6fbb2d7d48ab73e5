// The simulator as a getUpdates server, driven by grammY's own long polling (bot.start()) as an app's bot uses
// it, and by raw calls for what Telegram promises of getUpdates: offsets, limits, long polls, conflicts with a
// webhook and with a second poller, allowed_updates, faults. "Exactly once" is asserted after sim.polled().
import { type GrammyError, InlineKeyboard } from 'grammy'
import { InvoiceAlreadyPaidError, validateObject } from 'tma-pay/testing'
import { describe, expect, it } from 'vitest'
import { botFor, callApi, startPolling, startSimulator, startWebhook, waitUntil } from './helpers/simulator'

const webAppUrl = 'https://shop.example/app'

describe('a grammY bot polling the simulator', () => {
  it('gets the /start a user sent and answers with a Mini App button', async () => {
    const sim = await startSimulator()
    const bot = botFor(sim)
    const starts: Array<string | undefined> = []
    bot.command('start', async (ctx) => {
      starts.push(ctx.match)
      await ctx.reply('Open the shop', {
        reply_markup: new InlineKeyboard().webApp('Shop', webAppUrl),
      })
    })
    await startPolling(sim, bot)

    const sent = await sim.sendMessage({ userId: 42, text: '/start magic-book', firstName: 'Ann' })
    await sim.polled()

    expect(sent.entities).toEqual([{ type: 'bot_command', offset: 0, length: 6 }])
    expect(starts).toEqual(['magic-book'])
    const answer = sim.chat(42).at(-1)
    expect(answer).toMatchObject({
      from: { id: sim.botInfo.id, is_bot: true },
      chat: { id: 42, type: 'private', first_name: 'Ann' },
      text: 'Open the shop',
      reply_markup: { inline_keyboard: [[{ text: 'Shop', web_app: { url: webAppUrl } }]] },
    })
    expect(validateObject('Message', answer)).toEqual([])
    expect(sim.chat(42).map((message) => message.from?.is_bot)).toEqual([false, true])
    expect(sim.pendingUpdates).toEqual([])
  })

  it('answers the pre-checkout of a chat invoice, and gets its successful_payment once', async () => {
    const sim = await startSimulator()
    const bot = botFor(sim)
    const paid: string[] = []
    bot.on('pre_checkout_query', (ctx) => ctx.answerPreCheckoutQuery(true))
    bot.on('message:successful_payment', (ctx) => {
      paid.push(ctx.message.successful_payment.telegram_payment_charge_id)
    })
    await startPolling(sim, bot)
    const invoice = await bot.api.sendInvoice(7, 'Magic book', 'A book of spells', 'ord_chat', 'XTR', [
      { label: 'Magic book', amount: 25 },
    ])
    expect(invoice.invoice).toEqual({
      title: 'Magic book',
      description: 'A book of spells',
      start_parameter: '',
      currency: 'XTR',
      total_amount: 25,
    })

    const payment = await sim.payChatInvoice(invoice)
    await sim.polled()

    expect(payment).toMatchObject({ outcome: 'paid', userId: 7, preCheckout: { ok: true } })
    expect(paid).toEqual([payment.telegramPaymentChargeId])
    expect(sim.chatInvoices[0]?.paidBy).toEqual([7])
    expect(sim.transactions.map((transaction) => transaction.id)).toEqual([payment.telegramPaymentChargeId])
    await expect(sim.payChatInvoice(invoice.message_id)).rejects.toBeInstanceOf(InvoiceAlreadyPaidError)
    await sim.polled()
    expect(paid).toHaveLength(1)
  })

  it('stops cleanly: bot.stop() confirms what it handled, and a later bot gets the rest', async () => {
    const sim = await startSimulator()
    const first = botFor(sim)
    const seen: string[] = []
    first.on('message:text', (ctx) => {
      seen.push(`first:${ctx.message.text}`)
    })
    const { stopped } = await startPolling(sim, first)
    await sim.sendMessage({ userId: 1, text: 'one' })
    await sim.polled()
    await first.stop()
    await stopped
    // bot.stop() aborted the long poll and confirmed with a last getUpdates of limit 1.
    expect(sim.calls.at(-1)).toMatchObject({ method: 'getUpdates', params: { limit: 1 }, ok: true })
    // The simulator saw the aborted long poll hang up and ended it: no call is left waiting.
    await waitUntil(() => sim.calls.every((call) => call.ok || call.error))

    await sim.sendMessage({ userId: 1, text: 'two' })
    expect(sim.pendingUpdates.map((update) => update.message?.text)).toEqual(['two'])
    const second = botFor(sim)
    second.on('message:text', (ctx) => {
      seen.push(`second:${ctx.message.text}`)
    })
    await startPolling(sim, second)
    await sim.polled()
    expect(seen).toEqual(['first:one', 'second:two'])
  })

  it('sim.close() ends a long poll in flight', async () => {
    const sim = await startSimulator()
    const poll = callApi(sim, 'getUpdates', { timeout: 50 })
    await waitUntil(() => sim.calls.some((call) => call.method === 'getUpdates'))
    const closing = Date.now()
    await sim.close()
    expect(await poll).toEqual({ status: 200, body: { ok: true, result: [] } })
    expect(Date.now() - closing).toBeLessThan(5000)
  })
})

describe('getUpdates', () => {
  const hello = (sim: Awaited<ReturnType<typeof startSimulator>>, text: string) =>
    sim.sendMessage({ userId: 5, text })

  it('answers 409 while a webhook is set, and works after deleteWebhook', async () => {
    const sim = await startSimulator()
    const webhook = await startWebhook()
    await callApi(sim, 'setWebhook', { url: webhook.url })
    expect(await callApi(sim, 'getUpdates')).toEqual({
      status: 409,
      body: {
        ok: false,
        error_code: 409,
        description:
          "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      },
    })
    const bot = botFor(sim)
    await expect(bot.api.getUpdates()).rejects.toMatchObject({
      error_code: 409,
    } satisfies Partial<GrammyError>)

    await bot.api.deleteWebhook()
    await hello(sim, 'after')
    const { body } = await callApi(sim, 'getUpdates')
    expect(body.result.map((update: { message: { text: string } }) => update.message.text)).toEqual(['after'])
    expect(webhook.received).toEqual([])
  })

  it('confirms updates below the offset; without an offset they come again', async () => {
    const sim = await startSimulator()
    for (const text of ['a', 'b', 'c']) await hello(sim, text)
    const texts = async (params: object) =>
      (await callApi(sim, 'getUpdates', params)).body.result.map(
        (update: { message: { text: string } }) => update.message.text,
      )
    const ids = sim.pendingUpdates.map((update) => update.update_id)
    expect(ids).toEqual([ids[0], ids[0]! + 1, ids[0]! + 2])

    expect(await texts({})).toEqual(['a', 'b', 'c'])
    expect(await texts({})).toEqual(['a', 'b', 'c'])
    expect(await texts({ limit: 2 })).toEqual(['a', 'b'])
    expect(await texts({ offset: ids[1] })).toEqual(['b', 'c'])
    // 'a' is forgotten now: no offset, or an old one, brings it back no more.
    expect(await texts({ offset: ids[0] })).toEqual(['b', 'c'])
    expect((await callApi(sim, 'getWebhookInfo')).body.result.pending_update_count).toBe(2)
    expect(await texts({ offset: ids[2]! + 1 })).toEqual([])
    expect(sim.pendingUpdates).toEqual([])

    for (const text of ['d', 'e', 'f']) await hello(sim, text)
    // A negative offset takes the last -offset updates and forgets the ones before.
    expect(await texts({ offset: -1 })).toEqual(['f'])
    expect(await texts({})).toEqual(['f'])
  })

  it('refuses a limit outside 1-100 in strict mode, and clamps it as Telegram does otherwise', async () => {
    // Calls that break the spec on purpose are no evidence for the conformance test: not recorded.
    const strict = await startSimulator({ recordDir: false })
    expect((await callApi(strict, 'getUpdates', { limit: 0 })).body.description).toMatch(
      /limit must be 1-100/,
    )
    const lenient = await startSimulator({ strict: false, recordDir: false })
    for (const text of ['a', 'b']) await lenient.sendMessage({ userId: 1, text })
    expect((await callApi(lenient, 'getUpdates', { limit: 0 })).body.result).toHaveLength(1)
  })

  it('long polls: waits for an update, or for the timeout, and answers at once with timeout 0', async () => {
    const sim = await startSimulator()
    expect((await callApi(sim, 'getUpdates', { timeout: 0 })).body).toEqual({ ok: true, result: [] })

    const waiting = callApi(sim, 'getUpdates', { timeout: 30 })
    await waitUntil(() => sim.calls.length === 2)
    expect(sim.calls[1]).toMatchObject({ ok: false })
    expect(sim.calls[1]).not.toHaveProperty('result')
    await hello(sim, 'wake up')
    expect((await waiting).body.result[0].message.text).toBe('wake up')

    const started = Date.now()
    const empty = await callApi(sim, 'getUpdates', {
      timeout: 1,
      offset: sim.pendingUpdates[0]!.update_id + 1,
    })
    expect(empty.body).toEqual({ ok: true, result: [] })
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
  })

  it('ends the older of two long polls with 409, and a long poll when a webhook is set', async () => {
    const sim = await startSimulator()
    const older = callApi(sim, 'getUpdates', { timeout: 30 })
    await waitUntil(() => sim.calls.length === 1)
    const newer = callApi(sim, 'getUpdates', { timeout: 30 })
    expect(await older).toEqual({
      status: 409,
      body: {
        ok: false,
        error_code: 409,
        description:
          'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
      },
    })
    await hello(sim, 'for the newer')
    expect((await newer).body.result[0].message.text).toBe('for the newer')

    const confirmed = sim.pendingUpdates[0]!.update_id + 1
    const third = callApi(sim, 'getUpdates', { timeout: 30, offset: confirmed })
    await waitUntil(() => sim.calls.length === 3)
    await callApi(sim, 'setWebhook', { url: (await startWebhook()).url })
    expect((await third).body).toMatchObject({
      error_code: 409,
      description: 'Conflict: terminated by setWebhook request',
    })
  })
})
