// @vitest-environment node
// The demo shop with a real bot (`TMA_PAY_BOT_TOKEN=... npm start`), against the Telegram simulator standing in
// for api.telegram.org: a real-looking token, TMA_PAY_API_ROOT at the simulator, a webhook secret and a public
// URL. Checks that scripts/start.mjs starts no simulator of its own, that serve sets the webhook at the public
// URL (the shop's origin: the webhook comes in through the shop's /api/pay proxy, as it does behind a
// tunnel), that an order made and paid through the shop gets paid by that webhook, that inside Telegram
// (launch params in the URL, a postEvent bridge standing in for the client) the page runs on @tma.js/sdk with
// no mockMiniApp and pays, and that in a plain browser tab it says to open it in Telegram. The admin key
// (TMA_PAY_ADMIN_KEY) enables the admin routes but never reaches the page: the admin page asks for it.
//
//   npx vitest run test/e2e/shop-real-bot.test.ts
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { createTelegramSimulator, type TelegramSimulator } from 'tma-pay/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const chromiumPath = process.env.TMA_PAY_CHROMIUM ?? '/usr/bin/chromium'
const failures = join(root, 'test-results/e2e')
// What @BotFather hands out: the bot's id, a colon, 35 characters.
const botToken = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw4'
const webhookSecret = 'shop-real-bot-secret_0123456789'
const adminKey = 'shop-real-bot-admin-key-0123456789'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

describe('the demo shop with a real bot (npm start with TMA_PAY_BOT_TOKEN), on the simulator as Telegram', () => {
  let sim: TelegramSimulator
  let child: ChildProcess
  let output = ''
  let shopUrl: string
  let publicUrl: string
  let storeDir: string

  beforeAll(async () => {
    expect(botToken.split(':')[1]).toHaveLength(35)
    sim = await createTelegramSimulator({ botToken, recordDir: false })
    storeDir = mkdtempSync(join(tmpdir(), 'tma-pay-shop-real-'))
    const shopPort = await freePort()
    publicUrl = `http://127.0.0.1:${shopPort}`
    child = spawn(process.execPath, ['scripts/start.mjs'], {
      cwd: root,
      env: {
        ...process.env,
        PORT: String(shopPort),
        TMA_PAY_SHOP_STORE: `pglite:${storeDir}`,
        TMA_PAY_CLI_FROM_SOURCE: '1',
        TMA_PAY_SHOP_NO_WATCH: '1',
        NO_COLOR: '1',
        TMA_PAY_BOT_TOKEN: botToken,
        TMA_PAY_API_ROOT: sim.url,
        TMA_PAY_WEBHOOK_SECRET: webhookSecret,
        TMA_PAY_PUBLIC_URL: publicUrl,
        TMA_PAY_ADMIN_KEY: adminKey,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk
        if (process.env.TMA_PAY_E2E_DEBUG === '1') process.stderr.write(chunk)
        const url = /demo shop: (http:\/\/\S+)/.exec(output)
        if (url) {
          shopUrl = url[1]!
          // The steps after the URL come in the same write, or the next.
          setTimeout(resolve, 200)
        }
      }
      child.stdout!.on('data', onData)
      child.stderr!.on('data', onData)
      child.on('exit', (code) =>
        reject(new Error(`scripts/start.mjs exited (${code}) before serving:\n${output}`)),
      )
    })
  }, 60_000)

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      child.kill('SIGTERM')
      await exited
      clearTimeout(timer)
    }
    await sim?.close()
    if (storeDir) rmSync(storeDir, { recursive: true, force: true })
  }, 30_000)

  it('sets the webhook at the public URL with the secret, starts no simulator, and says what to do next', async () => {
    expect(sim.webhook).toEqual({ url: `${publicUrl}/api/pay/telegram/webhook`, secretToken: webhookSecret })
    expect(sim.calls.filter((call) => call.method === 'setWebhook')).toHaveLength(1)
    expect(output).not.toMatch(/Telegram simulator at/)
    expect(output).toContain('real Telegram (no simulator)')
    expect(output).toContain('@BotFather')
    expect(output).toContain(`${publicUrl}/`)
    // The token never reaches the output.
    expect(output).not.toContain(botToken.split(':')[1])

    // With a real bot the dev server hands the page no admin key (the admin page asks for it).
    const config = await (await fetch(new URL('/shop-config.json', shopUrl))).json()
    expect(config).toEqual({ simulatorUrl: null, basePath: '/api/pay', realTelegram: true, adminKey: null })
    expect(output).not.toContain(adminKey)
    // The admin routes take the key from the environment, through the shop's proxy.
    const adminOrders = (key: string) =>
      fetch(new URL('/api/pay/admin/orders', shopUrl), { headers: { authorization: `Bearer ${key}` } })
    expect((await adminOrders(adminKey)).status).toBe(200)
    expect((await adminOrders('not-the-key')).status).toBe(401)
  })

  it('an order made through the shop is paid by Telegram’s webhook, through the shop’s proxy', async () => {
    const userId = 77_001
    const auth = { authorization: `tma ${sim.signInitData(userId, { first_name: 'Grace' })}` }
    const api = new URL('/api/pay', shopUrl).href
    const created = await fetch(`${api}/orders`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': `real-bot-${Date.now()}` },
      body: JSON.stringify({ productId: 'magic-book' }),
    })
    expect(created.status).toBe(201)
    const order = (await created.json()) as { id: string; status: string; invoiceUrl: string }
    expect(order.status).toBe('created')
    expect(sim.invoices).toHaveLength(1)

    const payment = await sim.pay(order.invoiceUrl, { userId })
    expect(payment.outcome).toBe('paid')
    await sim.idle()
    // Telegram (the simulator) reached the webhook at the public URL, and was answered 200 each time.
    expect(sim.deliveries.length).toBeGreaterThan(0)
    expect(sim.deliveries.map((delivery) => delivery.status)).toEqual(sim.deliveries.map(() => 200))
    await expect
      .poll(
        async () =>
          ((await (await fetch(`${api}/orders/${order.id}`, { headers: auth })).json()) as { status: string })
            .status,
      )
      .toBe('paid')
  })

  it('inside Telegram (launch params in the URL, a stand-in client) it runs on the SDK and pays', async () => {
    if (!existsSync(chromiumPath))
      throw new Error(
        `Chromium not found at ${chromiumPath}: install it with \`bash scripts/ci-deps.sh\`, or set TMA_PAY_CHROMIUM.`,
      )
    const userId = 77_002
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    })
    const page = await browser.newPage()
    const errors: string[] = []
    const loaded: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('request', (request) => loaded.push(new URL(request.url()).pathname))
    // What a Telegram client gives a Mini App: a postEvent bridge (recorded here, not mockMiniApp's), and
    // launch params in the URL's hash.
    await page.addInitScript(() => {
      const events: Array<[string, unknown]> = []
      Object.assign(window, {
        __telegramEvents: events,
        TelegramWebviewProxy: {
          postEvent: (name: string, data: string) => events.push([name, data ? JSON.parse(data) : undefined]),
        },
      })
    })
    const launch = new URLSearchParams({
      tgWebAppData: sim.signInitData(userId, { first_name: 'Grace' }),
      tgWebAppVersion: '8.0',
      tgWebAppPlatform: 'tdesktop',
      tgWebAppThemeParams: JSON.stringify({
        bg_color: '#17212b',
        text_color: '#f5f5f5',
        button_color: '#5288c1',
      }),
    })
    try {
      await page.goto(`${shopUrl}#${launch}`)
      await page.getByTestId('shop').waitFor({ timeout: 30_000 })
      expect(await page.locator('.shop-user').textContent()).toContain('Grace')
      // Telegram's theme, bound by themeParams.bindCssVars(); Telegram owns it, so there is no toggle.
      expect(await page.getByTestId('shop').getAttribute('data-theme')).toBe('dark')
      expect(
        await page.evaluate(() => document.documentElement.style.getPropertyValue('--tg-theme-bg-color')),
      ).toBe('#17212b')
      expect(await page.getByTestId('theme-toggle').count()).toBe(0)
      expect(loaded.filter((path) => path.includes('/testing/'))).toEqual([])

      const card = page.getByTestId('product-magic-book')
      await card.locator('button.tma-pay-button').click()
      // The shop asked the client to open the invoice; the user pays it in Telegram (the simulator).
      const openedSlug = () =>
        page.evaluate(() => {
          const { __telegramEvents: events } = window as unknown as {
            __telegramEvents: Array<[string, { slug?: string } | undefined]>
          }
          return events.find(([name]) => name === 'web_app_open_invoice')?.[1]?.slug
        })
      await expect.poll(openedSlug, { timeout: 10_000 }).toBeTruthy()
      const slug = (await openedSlug())!
      expect((await sim.pay(slug, { userId })).outcome).toBe('paid')
      await page.evaluate((slug) => {
        ;(
          window as unknown as { Telegram: { WebView: { receiveEvent(name: string, data: unknown): void } } }
        ).Telegram.WebView.receiveEvent('invoice_closed', { slug, status: 'paid' })
      }, slug)
      await expect
        .poll(() => card.locator('button.tma-pay-button').textContent(), { timeout: 15_000 })
        .toBe('Paid')
      await expect.poll(() => page.getByTestId('order').getAttribute('data-status')).toBe('paid')
      expect(errors).toEqual([])
    } catch (error) {
      mkdirSync(failures, { recursive: true })
      const file = join(failures, 'real-bot-in-telegram.png')
      await page.screenshot({ path: file, fullPage: true }).catch(() => undefined)
      console.error(
        `shop e2e "real bot in Telegram" failed; screenshot: ${file}; page errors: ${errors.join(' | ')}`,
      )
      throw error
    } finally {
      await browser.close()
    }
  }, 60_000)

  it('in a plain browser tab the page says to open it in Telegram, loads no mockMiniApp, and the admin page asks for the key', async () => {
    if (!existsSync(chromiumPath))
      throw new Error(
        `Chromium not found at ${chromiumPath}: install it with \`bash scripts/ci-deps.sh\`, or set TMA_PAY_CHROMIUM.`,
      )
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    })
    const page = await browser.newPage()
    const errors: string[] = []
    const loaded: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('request', (request) => loaded.push(new URL(request.url()).pathname))
    try {
      await page.goto(shopUrl)
      await page.getByTestId('open-in-telegram').waitFor({ timeout: 30_000 })
      expect(await page.getByTestId('open-in-telegram').textContent()).toContain('open it in Telegram')
      expect(await page.getByTestId('shop').count()).toBe(0)
      expect(await page.getByTestId('tma-pay-invoice-sheet').count()).toBe(0)
      // mockMiniApp lives in tma-pay/testing/browser (src/testing/ here): a real-bot page never fetches it.
      expect(loaded.filter((path) => path.includes('/testing/'))).toEqual([])
      // Nor does it talk to a simulator, or have launch params a mock would have put there.
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0)

      // The shop owner's page opens in a plain tab too, and asks for the key.
      await page.goto(`${shopUrl}#/admin`)
      await page.getByTestId('admin-key-form').waitFor({ timeout: 30_000 })
      expect(await page.getByTestId('admin-order').count()).toBe(0)
      await page.getByTestId('admin-key-input').fill(adminKey)
      await page.getByTestId('admin-key-submit').click()
      await page.getByTestId('admin-total').waitFor({ timeout: 10_000 })
      expect(await page.getByTestId('admin-order').count()).toBeGreaterThan(0)
      // Kept for this tab only.
      expect(await page.evaluate(() => sessionStorage.getItem('tma-pay-shop-admin-key'))).toBe(adminKey)
      expect(errors).toEqual([])
    } catch (error) {
      mkdirSync(failures, { recursive: true })
      const file = join(failures, 'real-bot-open-in-telegram.png')
      await page.screenshot({ path: file, fullPage: true }).catch(() => undefined)
      console.error(`shop e2e "real bot" failed; screenshot: ${file}; page errors: ${errors.join(' | ')}`)
      throw error
    } finally {
      await browser.close()
    }
  }, 60_000)
})
