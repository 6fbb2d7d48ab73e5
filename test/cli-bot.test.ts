// `tma-pay serve` beside the app's own bot, and `tma-pay doctor`, as users run them: child processes from
// bin/tma-pay.mjs against the simulator standing in for api.telegram.org (a real-looking token, --api-root).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_UPDATE_TYPES } from 'tma-pay/server'
import { createTelegramSimulator, type TelegramSimulator } from 'tma-pay/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startAppWebhook } from './helpers/app-webhook'
import { api, freePort, run, serve } from './helpers/cli'
import { freshPgliteDir } from './helpers/databases'
import { startReceiver } from './helpers/receiver'

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
