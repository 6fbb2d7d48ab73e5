// `tma-pay` as users run it: a child process from bin/tma-pay.mjs, talked to over HTTP and its own subcommands.
import { execFile } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Order } from 'tma-pay'
import { verifyNotifySignature } from 'tma-pay/server'
import { createTelegramSimulator, type RecordedCall } from 'tma-pay/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  api,
  buyOnSimulator,
  childEnv,
  examples,
  freePort,
  hasCurl,
  initDataFromSim,
  root,
  run,
  serve,
} from './helpers/cli'
import { freshPgliteDir, freshPostgresDatabase } from './helpers/databases'
import { failFirst, startReceiver } from './helpers/receiver'
import { eventually, sleep } from './helpers/stack'

describe('tma-pay --help, --version and usage errors', { timeout: 120_000 }, () => {
  it('prints help and the version', async () => {
    const help = await run(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/tma-pay serve --products FILE\.json/)
    const serveHelp = await run(['serve', '--help'])
    expect(serveHelp.code).toBe(0)
    expect(serveHelp.stdout).toMatch(/--notify-secret SECRET\s+TMA_PAY_NOTIFY_SECRET/)
    expect(serveHelp.stdout).toMatch(/--provider-token TOKEN\s+TMA_PAY_PROVIDER_TOKEN/)
    expect(serveHelp.stdout).toMatch(
      /--reconcile-interval MS\s+TMA_PAY_RECONCILE_INTERVAL_MS\s+.*0 turns it off/,
    )
    const version = await run(['--version'])
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })

  it('exits 2 with a message for bad flags, products files and store specs', async () => {
    const { dir, remove } = freshPgliteDir()
    try {
      const write = (name: string, text: string) => {
        writeFileSync(join(dir, name), text)
        return join(dir, name)
      }
      const good = ['--products', 'examples/products.json', '--store', 'pglite:memory://']
      const cases: Array<[string[], RegExp]> = [
        [['serve', '--bogus'], /Unknown option '--bogus'/],
        [['serve'], /--products FILE\.json is required/],
        [['serve', ...good, '--port', 'http'], /--port must be a port number/],
        [['serve', ...good, '--port', '70000'], /--port must be a port number/],
        [
          ['serve', '--products', join(dir, 'missing.json')],
          /Cannot read the products file .*missing\.json: ENOENT/,
        ],
        [['serve', '--products', write('not-json.json', '[{ "id": ')], /is not JSON/],
        [
          ['serve', '--products', write('object.json', '{ "id": "magic-book" }')],
          /must hold a non-empty JSON array/,
        ],
        [
          ['serve', ...good, '--store', 'mysql://localhost/db'],
          /--store must be pglite:DIR or postgres:\/\//,
        ],
        [['serve', ...good, '--store', 'pglite:'], /needs a directory/],
        [['serve', ...good, '--bot-token', 'not-a-token'], /does not look like a bot token/],
        [
          ['serve', ...good, '--bot-token', '123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0'],
          /--webhook-secret .* is required with a bot token/,
        ],
        [['serve', ...good, '--webhook-secret', 'has spaces'], /--webhook-secret must be/],
        [
          ['serve', ...good, '--notify-url', 'http://127.0.0.1:9/hook'],
          /--notify-secret .* is required with --notify-url/,
        ],
        [
          ['serve', ...good, '--notify-url', 'ftp://example.com', '--notify-secret', 's'],
          /--notify-url must be an http\(s\) URL/,
        ],
        [['serve', ...good, '--base-path', 'api pay'], /--base-path must be a path/],
        [
          ['serve', ...good, '--admin-key', 'admin-key-for-tests-0123456789'],
          /--admin-key \(TMA_PAY_ADMIN_KEY\) must be at least 32 characters.*`openssl rand -hex 32`/,
        ],
        [
          [
            'serve',
            ...good,
            '--cors-origin',
            'https://shop.example',
            '--cors-origin',
            'https://shop.example/',
          ],
          /--cors-origin \(TMA_PAY_CORS_ORIGIN\): "https:\/\/shop\.example\/" is not an origin: give scheme:\/\/host/,
        ],
        [
          [
            'serve',
            ...good,
            '--notify-url',
            'ftp://hook:hook-pass@example.com/?token=t0k',
            '--notify-secret',
            's',
          ],
          /--notify-url must be an http\(s\) URL, not "ftp:\/\/hook:\*\*\*@example\.com\/\?\*\*\*"/,
        ],
        [['serve', ...good, '--reconcile-interval', 'soon'], /--reconcile-interval must be milliseconds/],
        [
          ['serve', ...good, '--reconcile-interval', '2147483648'],
          /--reconcile-interval must be milliseconds from 0 \(off\) to 2147483647/,
        ],
        [
          [
            'serve',
            '--products',
            write(
              'usd.json',
              JSON.stringify([
                { id: 'guide', title: 'Guide', description: 'A guide.', amount: 499, currency: 'USD' },
              ]),
            ),
            '--bot-token',
            '123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0',
            '--webhook-secret',
            'real_Secret-42',
          ],
          /Product "guide" is priced in USD: --provider-token \(TMA_PAY_PROVIDER_TOKEN\) is required/,
        ],
        [['frobnicate'], /Unknown command "frobnicate"/],
        [['init-data', '--sim', 'http://127.0.0.1:9'], /--user-id is required/],
        [['init-data', '--user-id', '1001'], /give --sim URL .* or --bot-token/],
        [['pay', 'ord_1', '--user-id', '1001'], /--sim URL is required/],
        [['pay', '--user-id', '1001', '--sim', 'http://127.0.0.1:9'], /give one invoice URL or order id/],
        [
          ['pay', 'ord_1', '--user-id', '1001', '--sim', 'http://127.0.0.1:9', '--outcome', 'maybe'],
          /--outcome must be paid or cancelled/,
        ],
      ]
      // A few at a time: dozens of CLI starts at once on two busy cores run past run()'s 30 s timeout.
      const results: Awaited<ReturnType<typeof run>>[] = []
      for (let next = 0; next < cases.length; next += 4) {
        results.push(...(await Promise.all(cases.slice(next, next + 4).map(([args]) => run(args)))))
      }
      cases.forEach(([args, message], index) => {
        const result = results[index]!
        expect({ args, code: result.code }).toEqual({ args, code: 2 })
        expect(result.stderr).toMatch(message)
        expect(result.stderr).toMatch(/^tma-pay: /)
      })
      const shortKeyFromEnv = await run(['serve', ...good], { TMA_PAY_ADMIN_KEY: 'x'.repeat(31) })
      expect(shortKeyFromEnv.code).toBe(2)
      expect(shortKeyFromEnv.stderr).toMatch(/must be at least 32 characters/)
      const badOriginFromEnv = await run(['serve', ...good], {
        TMA_PAY_CORS_ORIGIN: 'https://a.example,shop.example',
      })
      expect(badOriginFromEnv.code).toBe(2)
      expect(badOriginFromEnv.stderr).toMatch(/"shop\.example" is not an origin/)

      // Every problem of the file at once, each with the entry it is in.
      const bad = write(
        'bad.json',
        JSON.stringify([
          { id: 'ok', title: 'Fine', description: 'A fine product.', amount: 5 },
          {
            id: 'has space',
            title: 'x'.repeat(40),
            description: 'A broken product.',
            amount: 1.5,
            maxQty: 3,
          },
          'not a product',
          { id: 'ok', title: 'Twin', description: 'Listed twice.', amount: 5, subscriptionPeriod: 60 },
        ]),
      )
      const result = await run(['serve', '--products', bad])
      expect(result.code).toBe(2)
      for (const problem of [
        /entry 1: product "has space": id must be/,
        /entry 1: .*title must be 1-32 characters/,
        /entry 1: .*amount must be a positive integer/,
        /entry 1: unknown field "maxQty"/,
        /entry 2: must be an object/,
        /entry 3: .*subscriptionPeriod must be 2592000/,
        /entry 3: product "ok" is listed twice/,
      ]) {
        expect(result.stderr).toMatch(problem)
      }
    } finally {
      remove()
    }
  })

  it('exits 1 with a message when the store cannot be opened or setWebhook fails', async () => {
    const port = await freePort()
    const store = await run([
      'serve',
      '--products',
      'examples/products.json',
      '--port',
      '0',
      '--store',
      `postgres://nobody:pw-secret@127.0.0.1:${port}/none?sslmode=disable&options=query-secret`,
    ])
    expect(store.code).toBe(1)
    expect(store.stderr).toMatch(
      /Cannot open the store \(PostgreSQL at postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:\d+\/none\?\*\*\*\)/,
    )
    expect(store.stderr).not.toMatch(/pw-secret|query-secret/)

    const botToken = '123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0'
    const webhook = await run([
      'serve',
      '--products',
      'examples/products.json',
      '--port',
      '0',
      '--store',
      'pglite:memory://',
      '--bot-token',
      botToken,
      '--webhook-secret',
      'secret',
      '--api-root',
      `http://127.0.0.1:${port}`,
      '--public-url',
      'https://pay.example.com',
    ])
    expect(webhook.code).toBe(1)
    expect(webhook.stderr).toMatch(
      /setWebhook\(https:\/\/pay\.example\.com\/api\/pay\/telegram\/webhook\) failed/,
    )
    expect(webhook.stderr).not.toContain(botToken)
  })
})

/** The simulator's answerPreCheckoutQuery calls: whether each succeeded, and how it was made. */
async function preCheckoutAnswers(simUrl: string) {
  const calls = ((await (await fetch(`${simUrl}/sim/calls`)).json()) as { data: RecordedCall[] }).data
  return calls
    .filter((call) => call.method === 'answerPreCheckoutQuery')
    .map((call) => ({ ok: call.ok, ...(call.viaWebhookReply ? { viaWebhookReply: true } : {}) }))
}

describe('tma-pay serve on the simulator', { timeout: 120_000 }, () => {
  it('serves the example catalog on PGlite: init data, products, an order, `tma-pay pay`, paid', async () => {
    const { dir, remove } = freshPgliteDir()
    const served = await serve([
      '--products',
      'examples/products.json',
      '--port',
      '0',
      '--store',
      `pglite:${dir}`,
    ])
    try {
      expect(served.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/pay$/)
      expect(served.apiUrl).not.toMatch(/:0\//)
      expect(served.output()).toMatch(/Running on the Telegram simulator/)
      await buyOnSimulator(served, 1001)
      // The pre-checkout's answer went in the webhook's response (a webhook reply), not as a call of its own.
      expect(await preCheckoutAnswers(served.simUrl!)).toEqual([{ ok: true, viaWebhookReply: true }])
      // A cancelled sheet is a hint only: the order is not paid.
      const user = api(served.apiUrl, await initDataFromSim(served.simUrl!, 1002))
      const order = await user.createOrder('dragon-skin')
      const cancelled = await run([
        'pay',
        order.invoiceUrl,
        '--user-id',
        '1002',
        '--sim',
        served.simUrl!,
        '--outcome',
        'cancelled',
      ])
      expect(cancelled.code).toBe(0)
      expect(cancelled.stdout).toMatch(/^cancelled: Dragon Skin/)
      expect((await user.order(order.id)).status).toBe('created')
      // Somebody else's order is refused at pre-checkout: exit 1 with the reason.
      const stranger = await run(['pay', order.id, '--user-id', '1003', '--sim', served.simUrl!])
      expect(stranger.code).toBe(1)
      expect(stranger.stderr).toMatch(/refused the payment .*another user/)
    } finally {
      expect(await served.stop()).toBe(0)
      remove()
    }
    expect(served.output()).toMatch(/SIGTERM, shutting down/)
  })

  it('--pre-checkout-call answers pre-checkouts by an answerPreCheckoutQuery call of its own', async () => {
    const { dir, remove } = freshPgliteDir()
    const served = await serve([
      '--products',
      'examples/products.json',
      '--port',
      '0',
      '--store',
      `pglite:${dir}`,
      '--pre-checkout-call',
    ])
    try {
      await buyOnSimulator(served, 1001)
      expect(await preCheckoutAnswers(served.simUrl!)).toEqual([{ ok: true }])
    } finally {
      expect(await served.stop()).toBe(0)
      remove()
    }
  })

  // Skipped only on a developer machine without curl; in CI (which installs curl) it must run.
  it.skipIf(!hasCurl && !process.env.CI)('prints commands that work as printed (bash and curl)', async () => {
    const served = await serve([
      '--products',
      'examples/products.json',
      '--port',
      '0',
      '--store',
      'pglite:memory://',
    ])
    try {
      const block = /^Try it.*\n((?: {2}.*\n)+)/m.exec(served.output())![1]!
      const script = `set -euo pipefail\n${block}`
      const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          'bash',
          ['-c', script],
          { cwd: root, env: childEnv(), timeout: 30_000 },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
        )
      })
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      const lines = result.stdout.trim().split('\n')
      expect(JSON.parse(lines[0]!).data).toHaveLength(examples.length)
      expect(lines.at(-2)).toMatch(/^paid: /)
      // `pay` returns once Telegram's successful_payment was delivered, so the order is paid by the last curl.
      expect(JSON.parse(lines.at(-1)!)).toMatchObject({ userId: 1001, status: 'paid' })
    } finally {
      await served.stop()
    }
  })

  it('runs on PostgreSQL', async () => {
    const database = await freshPostgresDatabase()
    const served = await serve([
      '--products',
      'examples/products.json',
      '--port',
      '0',
      '--store',
      database.url,
    ])
    try {
      expect(served.output()).toMatch(/store: {4}PostgreSQL at postgres:\/\//)
      await buyOnSimulator(served, 1001)
    } finally {
      expect(await served.stop()).toBe(0)
      await database.drop()
    }
  })

  it('notifies the backend until it takes the event, once, across a SIGTERM mid-retry and a restart', {
    timeout: 90_000,
  }, async () => {
    const { dir, remove } = freshPgliteDir()
    const receiver = await startReceiver(failFirst(2))
    const secret = 'cli-notify-secret'
    const args = [
      '--products',
      'examples/products.json',
      '--port',
      '0',
      '--store',
      `pglite:${dir}`,
      '--notify-url',
      receiver.url,
    ]
    // The secret from the environment, as a deployment would pass it.
    const env = { TMA_PAY_NOTIFY_SECRET: secret }
    try {
      const first = await serve(args, env)
      expect(first.output()).toMatch(/notify: {3}http:\/\/127\.0\.0\.1:\d+\/hooks\/tma-pay/)
      const { order } = await buyOnSimulator(first, 1001)
      await eventually(() => receiver.received.length === 1, 15_000)
      expect(await first.stop()).toBe(0)
      expect(receiver.received).toHaveLength(1)

      const second = await serve(args, env)
      try {
        await eventually(() => receiver.accepted().length === 1, 30_000)
        // One more background pass (every 5 s) must not send it again.
        await sleep(5_500)
      } finally {
        expect(await second.stop()).toBe(0)
      }
      expect(receiver.received.map((entry) => entry.status)).toEqual([500, 500, 200])
      const ids = new Set(receiver.received.map((entry) => entry.body.id))
      expect(ids.size).toBe(1)
      for (const entry of receiver.received) {
        expect(entry.body).toMatchObject({
          type: 'order.paid',
          order: { id: order.id, status: 'paid', userId: 1001 },
        })
        const header = entry.headers['x-tma-pay-signature'] as string
        expect(verifyNotifySignature(entry.rawBody, header, secret)).toBe(true)
        expect(header).toBe(`sha256=${createHmac('sha256', secret).update(entry.rawBody).digest('hex')}`)
      }
    } finally {
      await receiver.close()
      remove()
    }
  })
})

describe('tma-pay serve --admin-key', { timeout: 120_000 }, () => {
  it('serves the admin routes with the key, refunds, and notifies order.refunded once, signed', async () => {
    const { dir, remove } = freshPgliteDir()
    const receiver = await startReceiver()
    const secret = 'cli-refund-notify-secret'
    const adminKey = 'cli-admin-key-0123456789abcdef0123456789'
    try {
      const served = await serve(
        [
          '--products',
          'examples/products.json',
          '--port',
          '0',
          '--store',
          `pglite:${dir}`,
          '--notify-url',
          receiver.url,
        ],
        // The key from the environment, as a deployment would pass it.
        { TMA_PAY_NOTIFY_SECRET: secret, TMA_PAY_ADMIN_KEY: adminKey },
      )
      try {
        const { order } = await buyOnSimulator(served, 1002)
        const admin = (path: string, method = 'GET', key = adminKey) =>
          fetch(`${served.apiUrl}${path}`, { method, headers: { authorization: `Bearer ${key}` } })
        expect((await admin('/admin/orders', 'GET', 'wrong')).status).toBe(401)
        const listed = (await (await admin('/admin/orders?user_id=1002')).json()) as { data: Order[] }
        expect(listed.data.map((entry) => entry.id)).toEqual([order.id])
        const refund = await admin(`/admin/orders/${order.id}/refund`, 'POST')
        expect(refund.status).toBe(200)
        expect(((await refund.json()) as Order).status).toBe('refunded')
        await eventually(
          () => receiver.accepted().some((entry) => entry.body.type === 'order.refunded'),
          15_000,
        )
        await sleep(500)
      } finally {
        expect(await served.stop()).toBe(0)
      }
      const refunds = receiver.received.filter((entry) => entry.body.type === 'order.refunded')
      expect(refunds).toHaveLength(1)
      expect(refunds[0]!.body.order).toMatchObject({ userId: 1002, status: 'refunded' })
      expect(
        verifyNotifySignature(
          refunds[0]!.rawBody,
          refunds[0]!.headers['x-tma-pay-signature'] as string,
          secret,
        ),
      ).toBe(true)
    } finally {
      await receiver.close()
      remove()
    }
  })
})

describe('tma-pay serve with a bot token', { timeout: 120_000 }, () => {
  const botToken = '123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0'
  let telegram: Awaited<ReturnType<typeof createTelegramSimulator>>
  beforeAll(async () => {
    // Stands in for api.telegram.org (or a self-hosted Bot API server) at --api-root.
    telegram = await createTelegramSimulator({ botToken, retryDelaysMs: [100, 300, 1000] })
  })
  afterAll(async () => {
    await telegram?.close()
  })

  it('calls setWebhook at --api-root with the public URL and the secret, and starts no simulator', async () => {
    const { dir, remove } = freshPgliteDir()
    const port = await freePort()
    const publicUrl = `http://127.0.0.1:${port}`
    const served = await serve([
      '--products',
      'examples/products.json',
      '--port',
      String(port),
      '--store',
      `pglite:${dir}`,
      '--bot-token',
      botToken,
      '--api-root',
      telegram.url,
      '--webhook-secret',
      'real_Secret-42',
      '--public-url',
      `${publicUrl}/`,
    ])
    try {
      expect(served.apiUrl).toBe(`${publicUrl}/api/pay`)
      expect(served.simUrl).toBeUndefined()
      expect(served.output()).not.toMatch(/simulator/i)
      expect(telegram.webhook).toEqual({
        url: `${publicUrl}/api/pay/telegram/webhook`,
        secretToken: 'real_Secret-42',
      })
      expect(telegram.calls.filter((call) => call.method === 'setWebhook')).toHaveLength(1)

      // Init data signed locally with the bot token, and a payment through "Telegram".
      const initData = await run(
        ['init-data', '--user-id', '2001', '--first-name', 'Ann', '--language', 'de'],
        { TMA_PAY_BOT_TOKEN: botToken },
      )
      expect(initData.code).toBe(0)
      expect(decodeURIComponent(initData.stdout)).toMatch(/"first_name":"Ann"/)
      const user = api(served.apiUrl, initData.stdout.trim())
      const order = await user.createOrder('crystal-pack')
      expect((await telegram.pay(order.invoiceUrl, { userId: 2001 })).outcome).toBe('paid')
      await eventually(async () => (await user.order(order.id)).status === 'paid')
    } finally {
      expect(await served.stop()).toBe(0)
      remove()
    }
  })

  it('sells in USD with --provider-token, and reconciles on TMA_PAY_RECONCILE_INTERVAL_MS (0: never)', async () => {
    const { dir, remove } = freshPgliteDir()
    const products = join(dir, 'products.json')
    writeFileSync(
      products,
      JSON.stringify([
        ...examples,
        { id: 'guide', title: 'Guide', description: 'A printed guide.', amount: 499, currency: 'USD' },
      ]),
    )
    const providerToken = '284685063:TEST:cli-tests'
    const start = async (env: Record<string, string>, args: string[] = []) => {
      const port = await freePort()
      return serve(
        [
          '--products',
          products,
          '--port',
          String(port),
          '--store',
          `pglite:${join(dir, 'data')}`,
          '--bot-token',
          botToken,
          '--api-root',
          telegram.url,
          '--webhook-secret',
          'real_Secret-42',
          '--public-url',
          `http://127.0.0.1:${port}`,
          ...args,
        ],
        env,
      )
    }
    const reconcileCalls = () => telegram.calls.filter((call) => call.method === 'getStarTransactions').length
    const callsBefore = reconcileCalls()
    const first = await start({ TMA_PAY_PROVIDER_TOKEN: providerToken }, ['--reconcile-interval', '0'])
    const user = api(first.apiUrl, telegram.signInitData(2002))
    let dropped: Order
    try {
      const order = await user.createOrder('guide')
      expect(order).toMatchObject({ currency: 'USD', amount: 499 })
      const invoice = telegram.calls.find(
        (call) => call.method === 'createInvoiceLink' && call.params.payload === order.id,
      )
      expect(invoice?.params.provider_token).toBe(providerToken)
      expect((await telegram.pay(order.invoiceUrl, { userId: 2002 })).outcome).toBe('paid')
      await eventually(async () => (await user.order(order.id)).status === 'paid')

      // A Stars payment whose webhook is lost: with reconciliation off, it stays unpaid.
      dropped = await user.createOrder('magic-book')
      telegram.fault({ type: 'drop', on: 'successful_payment' })
      expect((await telegram.pay(dropped.invoiceUrl, { userId: 2002 })).outcome).toBe('paid')
      await sleep(500)
      expect((await user.order(dropped.id)).status).toBe('processing')
    } finally {
      expect(await first.stop()).toBe(0)
    }
    expect(reconcileCalls()).toBe(callsBefore)

    // Restarted with reconciliation every 300 ms: the run at start finds the payment.
    const second = await start({
      TMA_PAY_PROVIDER_TOKEN: providerToken,
      TMA_PAY_RECONCILE_INTERVAL_MS: '300',
    })
    try {
      const again = api(second.apiUrl, telegram.signInitData(2002))
      await eventually(async () => (await again.order(dropped.id)).status === 'paid')
      await eventually(() => reconcileCalls() >= callsBefore + 2)
    } finally {
      expect(await second.stop()).toBe(0)
      remove()
    }
  })
})

describe('tma-pay serve at the edge', { timeout: 120_000 }, () => {
  it('refuses a second serve on a PGlite directory in use, and takes over the lock of a killed one', async () => {
    const { dir, remove } = freshPgliteDir()
    const args = ['--products', 'examples/products.json', '--port', '0', '--store', `pglite:${dir}`]
    try {
      const first = await serve(args)
      const second = await run(['serve', ...args])
      expect(second.code).toBe(1)
      expect(second.stderr).toMatch(
        new RegExp(`Cannot open the store \\(PGlite in .*\\): .*is in use by process ${first.child.pid}\\b`),
      )
      expect(second.stderr).toMatch(/for several server instances use PostgreSQL/)
      // The first one goes on undisturbed.
      expect((await fetch(`${first.apiUrl}/products`)).status).toBe(200)

      // Killed, it cannot remove its lock; the next start sees the process is gone and takes it over.
      const exited = new Promise((resolve) => first.child.once('exit', resolve))
      first.child.kill('SIGKILL')
      await exited
      expect(existsSync(join(dir, 'tma-pay.lock'))).toBe(true)
      const third = await serve(args)
      expect((await fetch(`${third.apiUrl}/products`)).status).toBe(200)
      expect(await third.stop()).toBe(0)
      // Closed properly, it leaves no lock behind.
      expect(existsSync(join(dir, 'tma-pay.lock'))).toBe(false)
    } finally {
      remove()
    }
  })

  const preflight = (apiUrl: string, origin: string) =>
    fetch(`${apiUrl}/orders`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,idempotency-key',
      },
    })

  it('answers CORS preflights for the --cors-origin origins (or TMA_PAY_CORS_ORIGIN) only', async () => {
    const flagged = await serve(
      [
        '--products',
        'examples/products.json',
        '--port',
        '0',
        '--store',
        'pglite:memory://',
        '--cors-origin',
        'https://a.example',
        '--cors-origin',
        'https://b.example,https://c.example',
      ],
      // A flag wins over its environment variable, a list of them too.
      { TMA_PAY_CORS_ORIGIN: 'https://d.example' },
    )
    try {
      expect(flagged.output()).toMatch(
        /^ {2}cors: {5}https:\/\/a\.example, https:\/\/b\.example, https:\/\/c\.example$/m,
      )
      for (const origin of ['https://a.example', 'https://b.example', 'https://c.example']) {
        const answer = await preflight(flagged.apiUrl, origin)
        expect({ origin, status: answer.status }).toEqual({ origin, status: 204 })
        expect(answer.headers.get('access-control-allow-origin')).toBe(origin)
        expect(answer.headers.get('access-control-allow-headers')).toMatch(/idempotency-key/)
      }
      for (const origin of ['https://d.example', 'https://evil.example']) {
        const answer = await preflight(flagged.apiUrl, origin)
        expect({ origin, allowOrigin: answer.headers.get('access-control-allow-origin') }).toEqual({
          origin,
          allowOrigin: null,
        })
        expect(answer.headers.get('access-control-allow-methods')).toBeNull()
      }
    } finally {
      expect(await flagged.stop()).toBe(0)
    }

    const fromEnv = await serve(
      ['--products', 'examples/products.json', '--port', '0', '--store', 'pglite:memory://'],
      { TMA_PAY_CORS_ORIGIN: 'https://d.example, https://e.example' },
    )
    try {
      for (const origin of ['https://d.example', 'https://e.example']) {
        const answer = await preflight(fromEnv.apiUrl, origin)
        expect({ origin, status: answer.status }).toEqual({ origin, status: 204 })
        expect(answer.headers.get('access-control-allow-origin')).toBe(origin)
      }
    } finally {
      expect(await fromEnv.stop()).toBe(0)
    }
  })

  it('masks passwords and query strings in the URLs the banner prints', async () => {
    const served = await serve(
      [
        '--products',
        'examples/products.json',
        '--port',
        '0',
        '--store',
        'pglite:memory://',
        '--notify-url',
        'http://hook-user:hook-pass@127.0.0.1:9/hook?token=hook-token',
        '--public-url',
        'https://pub-user:pub-pass@pay.example.com',
      ],
      { TMA_PAY_NOTIFY_SECRET: 'notify-secret-for-the-banner' },
    )
    try {
      const output = served.output()
      expect(output).toMatch(
        /^ {2}notify: {3}http:\/\/hook-user:\*\*\*@127\.0\.0\.1:9\/hook\?\*\*\* \(signed/m,
      )
      expect(output).toMatch(
        /^ {2}webhook: {2}https:\/\/pub-user:\*\*\*@pay\.example\.com\/api\/pay\/telegram\/webhook$/m,
      )
      for (const secret of ['hook-pass', 'hook-token', 'pub-pass', 'notify-secret-for-the-banner'])
        expect(output).not.toContain(secret)
    } finally {
      expect(await served.stop()).toBe(0)
    }
  })
})
