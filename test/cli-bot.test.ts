// `tma-pay serve` beside the app's own bot (forwarding to it, or running it with --bot-module), and
// `tma-pay doctor`, as users run them: child processes from bin/tma-pay.mjs against the simulator standing in
// for api.telegram.org (a real-looking token, --api-root).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Order } from 'tma-pay'
import { DEFAULT_UPDATE_TYPES } from 'tma-pay/server'
import { createTelegramSimulator, type TelegramSimulator } from 'tma-pay/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startAppWebhook } from './helpers/app-webhook'
import { api, freePort, root, run, serve } from './helpers/cli'
import { freshPgliteDir } from './helpers/databases'
import { startReceiver } from './helpers/receiver'
import { eventually } from './helpers/stack'

const botToken = '123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0'
const forwardSecret = 'forward_Secret-7'

let telegram: TelegramSimulator
let app: Awaited<ReturnType<typeof startAppWebhook>>
beforeAll(async () => {
  telegram = await createTelegramSimulator({ botToken, retryDelaysMs: [100, 300, 1000] })
  app = await startAppWebhook()
})
afterAll(async () => {
  await telegram?.close()
  await app?.close()
})
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  // Each test leaves the bot as it found it: no webhook, no updates waiting.
  await fetch(`${telegram.url}/bot${botToken}/deleteWebhook`, { method: 'POST' })
  app.answerWith(() => ({ status: 200 }))
})

const callBotApi = async (method: string, params: object) =>
  (await fetch(`${telegram.url}/bot${botToken}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  }).then((response) => response.json())) as { ok: boolean }

/** A user of the Mini App, with init data signed by `tma-pay init-data` and the bot token. */
async function miniAppUser(apiUrl: string, userId: number) {
  const initData = await run(['init-data', '--user-id', String(userId)], { TMA_PAY_BOT_TOKEN: botToken })
  expect(initData.code).toBe(0)
  return api(apiUrl, initData.stdout.trim())
}

const storeFlags = () => {
  const { dir, remove } = freshPgliteDir()
  cleanups.push(remove)
  return ['--store', `pglite:${dir}`]
}
const real = ['--products', 'examples/products.json', '--bot-token', botToken, '--api-root']

describe('tma-pay serve --forward-url and --polling', { timeout: 120_000 }, () => {
  it('refuses flags that do not go together, saying what to do (exit 2)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--polling', '--public-url', 'https://x.example'], /--polling .* drop --public-url/],
      [['--polling', '--webhook-secret', 'abc'], /drop --webhook-secret/],
      [
        ['--polling', '--forward-url', 'http://127.0.0.1:1/bot'],
        /--forward-secret .* is required with --forward-url/,
      ],
      [
        ['--polling', '--forward-url', 'http://127.0.0.1:1/bot', '--forward-secret', 'a b'],
        /--forward-secret must be/,
      ],
      [
        ['--forward-url', 'http://127.0.0.1:1/bot', '--forward-secret', 's'],
        /--webhook-secret .* \(Or --polling/,
      ],
      [['--polling', '--allowed-updates', 'callback_query'], /--allowed-updates .* needs --forward-url/],
      [
        [
          '--polling',
          '--bot-module',
          'examples/shop/bot.mjs',
          '--forward-url',
          'http://127.0.0.1:1/bot',
          '--forward-secret',
          's',
        ],
        /--bot-module runs your bot inside tma-pay serve .* give one of them/,
      ],
      [
        ['--polling', '--bot-module', 'no/such/bot.mjs'],
        /--bot-module .*there is no file .*no\/such\/bot\.mjs/,
      ],
      [
        [
          '--polling',
          '--forward-url',
          'http://127.0.0.1:1/b',
          '--forward-secret',
          's',
          '--allowed-updates',
          'callbacks',
        ],
        /"callbacks" is not an update type/,
      ],
    ]
    for (const [flags, message] of cases) {
      const result = await run(['serve', ...real, telegram.url, '--store', 'pglite:memory://', ...flags])
      expect([flags, result.code]).toEqual([flags, 2])
      expect(result.stderr).toMatch(message)
    }
  })

  it("forwards what tma-pay does not consume to the app's webhook, whose 5xx Telegram gets, and never its own payments", async () => {
    const port = await freePort()
    const served = await serve([
      ...real,
      telegram.url,
      ...storeFlags(),
      '--port',
      String(port),
      '--webhook-secret',
      'hook_Secret-1',
      '--public-url',
      `http://127.0.0.1:${port}`,
      '--forward-url',
      `${app.url}?key=app-query-secret`,
      '--forward-secret',
      forwardSecret,
    ])
    cleanups.push(() => served.stop())
    expect(served.output()).toMatch(/^ {2}forward: {2}http:\/\/127\.0\.0\.1:\d+\/telegram\?\*\*\* /m)
    expect(served.output()).not.toContain('app-query-secret')
    const setWebhook = telegram.calls.findLast((call) => call.method === 'setWebhook')
    expect(setWebhook?.params.allowed_updates).toEqual([...DEFAULT_UPDATE_TYPES])

    let failures = 1
    app.answerWith(() => (failures-- > 0 ? { status: 502 } : { status: 200 }))
    const before = app.received.length
    const message = await telegram.sendMessage({ userId: 3001, text: '/start' })
    await telegram.idle()
    const delivered = telegram.deliveries.filter((d) => d.update.message?.message_id === message.message_id)
    expect(delivered.map((delivery) => delivery.status)).toEqual([502, 200])
    const forwarded = app.received.slice(before)
    expect(forwarded.map((entry) => entry.update.message?.text)).toEqual(['/start', '/start'])
    expect(forwarded[0]!.headers['x-telegram-bot-api-secret-token']).toBe(forwardSecret)
    expect(forwarded[0]!.raw).toBe(JSON.stringify(delivered[0]!.update))

    const user = await miniAppUser(served.apiUrl, 3001)
    const order = await user.createOrder('magic-book')
    expect((await telegram.pay(order.invoiceUrl, { userId: 3001 })).outcome).toBe('paid')
    await telegram.idle()
    expect((await user.order(order.id)).status).toBe('paid')
    expect(app.received.slice(before + 2)).toEqual([])
  })

  it('--polling removes an old webhook, answers a pre-checkout in time, records the payment, forwards the rest, and stops cleanly on SIGTERM', async () => {
    expect((await callBotApi('setWebhook', { url: 'https://old.example/hook' })).ok).toBe(true)
    const served = await serve([
      ...real,
      telegram.url,
      ...storeFlags(),
      '--port',
      '0',
      '--polling',
      '--forward-url',
      app.url,
      '--forward-secret',
      forwardSecret,
    ])
    expect(served.output()).toMatch(
      /^ {2}updates: {2}long polling \(getUpdates\); removed the webhook at https:\/\/old\.example\/hook$/m,
    )
    expect(telegram.webhook).toBeUndefined()

    const user = await miniAppUser(served.apiUrl, 3002)
    const order = await user.createOrder('crystal-pack')
    // The simulator waits 10 s for the answer, as Telegram does; "paid" means it came in time.
    const payment = await telegram.pay(order.invoiceUrl, { userId: 3002 })
    expect(payment).toMatchObject({ outcome: 'paid', preCheckout: { ok: true } })
    const before = app.received.length
    await telegram.sendMessage({ userId: 3002, text: 'hello' })
    await telegram.polled()
    expect((await user.order(order.id)).status).toBe('paid')
    expect(app.received.slice(before).map((entry) => entry.update.message?.text)).toEqual(['hello'])

    expect(await served.stop()).toBe(0)
    expect(served.output()).toContain('SIGTERM, shutting down')
    // bot.stop() confirmed what was handled: nothing waits, and nothing is handed out twice to the next poller.
    expect(telegram.calls.at(-1)).toMatchObject({ method: 'getUpdates', params: { limit: 1 }, ok: true })
    expect(telegram.pendingUpdates).toEqual([])
  })
})

describe('tma-pay doctor', { timeout: 120_000 }, () => {
  it('fails on a webhook set elsewhere without pre_checkout_query, naming both, and passes once serve set it right', async () => {
    const port = await freePort()
    const receiver = await startReceiver()
    cleanups.push(() => receiver.close())
    const flags = [
      ...real,
      telegram.url,
      ...storeFlags(),
      '--port',
      String(port),
      '--webhook-secret',
      'hook_Secret-2',
      '--public-url',
      `http://127.0.0.1:${port}`,
      '--admin-key',
      'f3a9c1d27b4e8a6051c9e2d4b7a3f8e1',
      '--notify-url',
      receiver.url,
      '--notify-secret',
      'notify-secret-1',
    ]
    // Another deployment's webhook, asking for messages and buttons only.
    expect(
      (
        await callBotApi('setWebhook', {
          url: 'https://elsewhere.example/bot',
          allowed_updates: ['message', 'callback_query'],
        })
      ).ok,
    ).toBe(true)

    const sick = await run(['doctor', ...flags])
    expect(sick.code).toBe(1)
    const expected = `http://127.0.0.1:${port}/api/pay/telegram/webhook`
    expect(sick.stdout).toContain(
      `✗ webhook: set to https://elsewhere.example/bot, not ${expected}: Telegram sends this bot's updates, pre-checkouts included, there — fix: start tma-pay serve with these flags`,
    )
    expect(sick.stdout).toMatch(
      /^✗ allowed updates: message, callback_query, without pre_checkout_query: no pre-checkout reaches tma-pay.* — fix: start tma-pay serve with these flags: its setWebhook asks for message, pre_checkout_query$/m,
    )
    expect(sick.stdout).toMatch(/^✓ bot: @tma_pay_sim_bot \(id \d+\)$/m)
    expect(sick.stdout).toMatch(/^✗ store: PGlite in .*: reachable, but it has no tma-pay tables — fix: /m)
    // One line per check, each with what to do when it fails; doctor changed nothing.
    for (const line of sick.stdout.trim().split('\n').slice(0, -1))
      expect(line).toMatch(/^(✓ .+|✗ .+ — fix: .+)$/)
    expect(telegram.webhook?.url).toBe('https://elsewhere.example/bot')

    // The fix: tma-pay serve with the same flags sets the webhook (and migrates the store) at start.
    const served = await serve(flags)
    expect(await served.stop()).toBe(0)
    const well = await run(['doctor', ...flags])
    expect(well.stdout).not.toContain('✗')
    expect(well.code).toBe(0)
    expect(well.stdout).toContain(`✓ webhook: ${expected}`)
    expect(well.stdout).toMatch(/^✓ allowed updates: message, pre_checkout_query/m)
    expect(well.stdout).toMatch(/^✓ store: PGlite in .*: reachable, migrated/m)
    expect(well.stdout).toMatch(/^✓ notify: http:\/\/127\.0\.0\.1:\d+\/hooks\/tma-pay answered 200/m)
    expect(well.stdout).toMatch(/^All \d+ checks passed\.$/m)
    // The test event is signed like every notification.
    expect(receiver.received.at(-1)?.body).toMatchObject({ type: 'test' })
  })

  it('names a refused token, a weak admin key, a provider token Telegram refuses, and a failing notify URL; exit 2 for usage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tma-pay-doctor-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const products = join(dir, 'products.json')
    writeFileSync(
      products,
      JSON.stringify([{ id: 'usd', title: 'USD', description: 'In dollars.', amount: 500, currency: 'USD' }]),
    )
    const receiver = await startReceiver(() => 401)
    cleanups.push(() => receiver.close())
    const common = ['--api-root', telegram.url, '--store', 'pglite:memory://', '--webhook-secret', 's']
    const wrongToken = await run(['doctor', '--products', products, '--bot-token', '1:wrong', ...common])
    expect(wrongToken.code).toBe(1)
    expect(wrongToken.stdout).toMatch(
      /^✗ bot: Telegram refused the token \(401: Unauthorized\) — fix: copy the token again from @BotFather/m,
    )
    const weak = await run([
      'doctor',
      '--products',
      products,
      '--bot-token',
      botToken,
      ...common,
      '--provider-token',
      'not-a-provider-token',
      '--admin-key',
      'abababababababababababababababab',
      '--notify-url',
      receiver.url,
      '--notify-secret',
      'x',
    ])
    expect(weak.code).toBe(1)
    expect(weak.stdout).toMatch(
      /^✗ admin key: 32 characters, but only 2 different ones: easy to guess — fix: make one with `openssl rand -hex 32`$/m,
    )
    expect(weak.stdout).toMatch(
      /^✗ provider token: Telegram refused a test invoice link for "usd" \(USD\): .*PAYMENT_PROVIDER_INVALID.* — fix: /m,
    )
    expect(weak.stdout).toMatch(
      /^✗ notify: .* answered 401 to a signed test event — fix: your backend must check X-Tma-Pay-Signature/m,
    )
    expect(weak.stdout).not.toContain(botToken.split(':')[1])

    const usage = await run(['doctor', '--products', products])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toMatch(/doctor: --bot-token .* is required/)
  })
})

const grammyUrl = pathToFileURL(createRequire(import.meta.url).resolve('grammy')).href

/** An app's bot module in a temp dir, as the app writes it; grammY by its file URL, as the dir has no node_modules. */
function writeBotModule(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tma-pay-bot-module-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'bot.mjs')
  writeFileSync(file, source.replaceAll("from 'grammy'", `from '${grammyUrl}'`))
  return file
}

// The app's own bot: tma-pay's middleware, its commands, and invoices of its own (payloads app-...) it answers.
const appBotSource = `
import { Bot } from 'grammy'

export default async function createAppBot({ pay, botToken, apiRoot, botInfo }) {
  const bot = new Bot(botToken, { botInfo, client: { apiRoot } })
  bot.use(pay.botMiddleware())
  bot.command('start', (ctx) => ctx.reply('Hello from the app bot'))
  bot.command('buy', (ctx) =>
    pay.sendInvoice({ chatId: ctx.chat.id, userId: ctx.from.id, productId: 'crystal-pack', idempotencyKey: 'buy-' + ctx.update.update_id }),
  )
  bot.on('pre_checkout_query', (ctx, next) =>
    ctx.preCheckoutQuery.invoice_payload.startsWith('app-') ? ctx.answerPreCheckoutQuery(true) : next(),
  )
  bot.on('message:successful_payment', (ctx, next) =>
    ctx.message.successful_payment.invoice_payload.startsWith('app-') ? ctx.reply('Thanks for your app purchase') : next(),
  )
  return bot
}
`

type Mode = 'webhook' | 'polling'

/** serve's flags for updates by webhook (the route at --public-url) or by --polling. */
async function updateFlags(mode: Mode) {
  if (mode === 'polling') return ['--port', '0', '--polling']
  const port = await freePort()
  return [
    '--port',
    String(port),
    '--webhook-secret',
    'hook_Secret-3',
    '--public-url',
    `http://127.0.0.1:${port}`,
  ]
}

describe('tma-pay serve --bot-module', { timeout: 120_000 }, () => {
  describe.each(['webhook', 'polling'] as const)('by %s', (mode) => {
    const settled = () => (mode === 'webhook' ? telegram.idle() : telegram.polled())

    it("runs the module's bot for every update: its /start, tma-pay's payments once, /buy's chat invoice in GET /orders, and an invoice nobody knows refused at once", async () => {
      const receiver = await startReceiver()
      cleanups.push(() => receiver.close())
      const file = writeBotModule(appBotSource)
      const before = telegram.calls.length
      const served = await serve([
        ...real,
        telegram.url,
        ...storeFlags(),
        ...(await updateFlags(mode)),
        '--bot-module',
        file,
        '--notify-url',
        receiver.url,
        '--notify-secret',
        'notify-secret-3',
      ])
      cleanups.push(() => served.stop())
      expect(served.output()).toContain(`  bot:      ${file} (your bot, in this process`)
      const asked = telegram.calls
        .slice(before)
        .find((call) => call.method === (mode === 'webhook' ? 'setWebhook' : 'getUpdates'))
      expect(asked?.params.allowed_updates).toEqual([...DEFAULT_UPDATE_TYPES])

      // The app's command, answered by the module's bot.
      const userId = mode === 'webhook' ? 3101 : 3102
      await telegram.sendMessage({ userId, text: '/start' })
      await settled()
      expect(telegram.chat(userId).at(-1)).toMatchObject({
        from: { is_bot: true },
        text: 'Hello from the app bot',
      })

      // A Mini App order, its successful_payment delivered twice: paid once, notified once.
      const user = await miniAppUser(served.apiUrl, userId)
      const order = await user.createOrder('magic-book')
      telegram.fault({ type: 'duplicate', on: 'successful_payment' })
      const payment = await telegram.pay(order.invoiceUrl, { userId })
      await settled()
      expect(payment).toMatchObject({ outcome: 'paid', preCheckout: { ok: true } })
      expect(await user.order(order.id)).toMatchObject({
        status: 'paid',
        telegramPaymentChargeId: payment.telegramPaymentChargeId,
      })
      expect((await user.timeline(order.id)).map((event) => event.status)).toEqual([
        'created',
        'processing',
        'paid',
      ])

      // /buy: a chat invoice through pay.sendInvoice, an order like the others.
      await telegram.sendMessage({ userId, text: '/buy' })
      await settled()
      const invoice = telegram.chatInvoices.at(-1)!
      expect(invoice).toMatchObject({ chatId: userId, totalAmount: 15, currency: 'XTR' })
      const chatPayment = await telegram.payChatInvoice({ chatId: userId })
      await settled()
      expect(chatPayment).toMatchObject({ outcome: 'paid', preCheckout: { ok: true } })
      const listed = new Map((await user.orders()).map((listedOrder: Order) => [listedOrder.id, listedOrder]))
      expect([...listed.keys()].sort()).toEqual([order.id, invoice.payload].sort())
      expect(listed.get(invoice.payload)).toMatchObject({
        productId: 'crystal-pack',
        status: 'paid',
        invoiceUrl: '',
        telegramPaymentChargeId: chatPayment.telegramPaymentChargeId,
      })

      // The app's own invoice is the app's to answer; one neither knows is refused at once, not left to lapse.
      const sendInvoice = (payload: string) =>
        callBotApi('sendInvoice', {
          chat_id: userId,
          title: 'Old pack',
          description: 'From before tma-pay',
          payload,
          currency: 'XTR',
          prices: [{ label: 'Old pack', amount: 7 }],
        })
      expect((await sendInvoice('app-42')).ok).toBe(true)
      expect(await telegram.payChatInvoice({ chatId: userId })).toMatchObject({
        outcome: 'paid',
        preCheckout: { ok: true },
      })
      await settled()
      expect(telegram.chat(userId).at(-1)?.text).toBe('Thanks for your app purchase')
      expect((await sendInvoice('nobody-knows-7')).ok).toBe(true)
      const asking = Date.now()
      expect(await telegram.payChatInvoice({ chatId: userId })).toMatchObject({
        outcome: 'refused',
        preCheckout: { ok: false },
      })
      expect(Date.now() - asking).toBeLessThan(5000)
      await settled()

      const paidNotifications = (id: string) =>
        receiver
          .accepted()
          .filter((received) => received.body.type === 'order.paid' && received.body.order.id === id)
      await eventually(
        () => paidNotifications(order.id).length > 0 && paidNotifications(invoice.payload).length > 0,
      )
      if (mode === 'webhook')
        expect(new Set(telegram.deliveries.slice(-3).map((delivery) => delivery.status))).toEqual(
          new Set([200]),
        )
      expect(await served.stop()).toBe(0)
      expect(paidNotifications(order.id)).toHaveLength(1)
      expect(paidNotifications(invoice.payload)).toHaveLength(1)
      expect(telegram.pendingUpdates).toEqual([])
    })
  })

  it("runs the README's bot module as written, given as a file: URL", async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    const block = /### `tma-pay serve --bot-module`[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(block).toContain('export default function createBot')
    const file = writeBotModule(block!)
    const served = await serve([
      ...real,
      telegram.url,
      ...storeFlags(),
      '--port',
      '0',
      '--polling',
      '--bot-module',
      pathToFileURL(file).href,
    ])
    cleanups.push(() => served.stop())
    const userId = 3103
    await telegram.sendMessage({ userId, text: '/start' })
    await telegram.polled()
    expect(telegram.chat(userId).at(-1)).toMatchObject({
      text: 'Open the shop',
      reply_markup: { inline_keyboard: [[{ text: 'Shop', web_app: { url: 'https://shop.example' } }]] },
    })
    await telegram.sendMessage({ userId, text: '/buy' })
    await telegram.polled()
    expect(telegram.chatInvoices.at(-1)).toMatchObject({ chatId: userId, title: 'Pack of Crystals' })
    expect(await telegram.payChatInvoice({ chatId: userId })).toMatchObject({ outcome: 'paid' })
    await telegram.polled()
    const user = await miniAppUser(served.apiUrl, userId)
    expect((await user.orders()).map((order) => [order.productId, order.status])).toEqual([
      ['crystal-pack', 'paid'],
    ])
    expect(await served.stop()).toBe(0)
  })

  it('stops before it listens, naming the file and what to export, for a module that makes no bot', async () => {
    const cases: Array<[string, number, RegExp]> = [
      [
        'export const bot = 1',
        2,
        /has no default export that is a function \(it is undefined\): export default a function that takes \{ pay, botToken, apiRoot, botInfo \} and returns your grammY Bot/,
      ],
      ['export default {', 2, /could not be imported: /],
      [
        'export default () => ({ start() {} })',
        2,
        /its default export returned an object \(Object\), not a grammY Bot: export default a function/,
      ],
      [
        "import { Bot } from 'grammy'\nexport default () => new Bot('42:another-token')",
        2,
        /its Bot has another token than the one serve runs: make it with the botToken it is given/,
      ],
      ["export default () => { throw new Error('no database') }", 1, /its default export threw: no database/],
    ]
    for (const [source, code, message] of cases) {
      const file = writeBotModule(source)
      const before = telegram.calls.length
      const result = await run([
        'serve',
        ...real,
        telegram.url,
        '--store',
        'pglite:memory://',
        '--polling',
        '--port',
        '0',
        '--bot-module',
        file,
      ])
      expect([source, result.code]).toEqual([source, code])
      expect(result.stderr).toContain(`tma-pay: --bot-module ${file}`)
      expect(result.stderr).toMatch(message)
      expect(result.stdout).not.toContain('tma-pay listening')
      // No polling started (nor a webhook set): it stopped before taking any update.
      const methods = telegram.calls.slice(before).map((call) => call.method)
      expect(methods.filter((method) => /Webhook|getUpdates/.test(method))).toEqual([])
      expect(result.stderr).not.toContain(botToken.split(':')[1])
    }
  })
})
