// @vitest-environment node
// The demo shop end to end, as `npm start` serves it: scripts/start.mjs (tma-pay serve on PGlite, the Telegram
// simulator, the shop's Vite dev server), driven in real Chromium by a person's clicks on the invoice sheet.
//
//   npx vitest run test/e2e/shop.test.ts
//
// TMA_PAY_CHROMIUM=/path/to/chromium picks another browser; TMA_PAY_SHOP_SCREENSHOT=1 also writes docs/shop.png.
// On failure each test saves a screenshot under test-results/e2e/ and says where.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium, type Locator, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const chromiumPath = process.env.TMA_PAY_CHROMIUM ?? '/usr/bin/chromium'
const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking']
const failures = join(root, 'test-results/e2e')

interface Started {
  child: ChildProcess
  shopUrl: string
  output: () => string
}

/** `node scripts/start.mjs` on a free port and a fresh store; resolves with the one URL it prints. */
function startShop(storeDir: string): Promise<Started> {
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: root,
    // From source: a stale dist/ must not stand in for the code under test.
    env: {
      ...process.env,
      PORT: '0',
      TMA_PAY_SHOP_STORE: `pglite:${storeDir}`,
      TMA_PAY_CLI_FROM_SOURCE: '1',
      // Someone editing src/ during the run must not reload a page under a test.
      TMA_PAY_SHOP_NO_WATCH: '1',
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk
      if (process.env.TMA_PAY_E2E_DEBUG === '1') process.stderr.write(chunk)
      const url = /demo shop: (http:\/\/\S+)/.exec(output)
      if (url) resolve({ child, shopUrl: url[1]!, output: () => output })
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.on('exit', (code) =>
      reject(new Error(`scripts/start.mjs exited (${code}) before serving:\n${output}`)),
    )
  })
}

function stopShop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

describe('the demo shop (npm start) in Chromium', () => {
  let started: Started
  let simUrl: string
  let browser: Browser
  let storeDir: string
  let nextUser = 51_000

  beforeAll(async () => {
    if (!existsSync(chromiumPath))
      throw new Error(
        `Chromium not found at ${chromiumPath}: install it with \`bash scripts/ci-deps.sh\`, or set TMA_PAY_CHROMIUM.`,
      )
    storeDir = mkdtempSync(join(tmpdir(), 'tma-pay-shop-'))
    const [shop, launched] = await Promise.all([
      startShop(storeDir),
      chromium.launch({ executablePath: chromiumPath, args: chromiumArgs }),
    ])
    started = shop
    browser = launched
    simUrl = (
      (await (await fetch(new URL('/shop-config.json', shop.shopUrl))).json()) as { simulatorUrl: string }
    ).simulatorUrl
    // The first load makes Vite transform the sources and the browser paint its first frames: paid here,
    // once, so each test's time is its own.
    const page = await browser.newPage()
    await page.goto(`${shop.shopUrl}?user=${nextUser++}`)
    await page.getByTestId('product-magic-book').waitFor({ timeout: 60_000 })
    await page.close()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    if (started) await stopShop(started.child)
    if (storeDir) rmSync(storeDir, { recursive: true, force: true })
  }, 30_000)

  /** Opens the shop as a new user; on failure saves a screenshot and says where. */
  async function withShop(
    name: string,
    options: { theme?: 'light' | 'dark'; hash?: string; allowNetworkErrors?: boolean },
    run: (page: Page, userId: number) => Promise<void>,
  ): Promise<void> {
    const userId = nextUser++
    const context = await browser.newContext({ viewport: { width: 820, height: 900 } })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('console', (message) => {
      if (message.type() !== 'error') return
      // Chromium logs a request the test itself aborted; that one is expected.
      if (options.allowNetworkErrors && /Failed to load resource|ERR_/.test(message.text())) return
      errors.push(message.text())
    })
    try {
      const search = new URLSearchParams({
        user: String(userId),
        ...(options.theme && { theme: options.theme }),
      })
      await page.goto(`${started.shopUrl}?${search}${options.hash ?? ''}`)
      await page.getByTestId('shop').waitFor({ timeout: 15_000 })
      await run(page, userId)
      expect(errors).toEqual([])
    } catch (error) {
      mkdirSync(failures, { recursive: true })
      const file = join(failures, `${name}.png`)
      await page.screenshot({ path: file, fullPage: true }).catch(() => undefined)
      console.error(`shop e2e "${name}" failed; screenshot: ${file}; page errors: ${errors.join(' | ')}`)
      throw error
    } finally {
      await context.close()
    }
  }

  const card = (page: Page, productId: string) => page.getByTestId(`product-${productId}`)
  const payButton = (page: Page, productId: string) => card(page, productId).locator('button.tma-pay-button')
  const statusLine = (page: Page, productId: string) => card(page, productId).getByRole('status')
  const sheet = (page: Page) => page.getByTestId('tma-pay-invoice-sheet')
  const orders = (page: Page) => page.getByTestId('order')
  const text = (locator: Locator) => locator.textContent().then((value) => value?.trim())

  async function payInSheet(page: Page) {
    await sheet(page).waitFor({ timeout: 10_000 })
    // The sheet shows the server's invoice (title, Stars) before the user pays.
    await expect.poll(() => text(sheet(page).getByTestId('tma-pay-invoice-pay'))).toMatch(/^Pay ⭐ \d+$/)
    await page.getByTestId('tma-pay-invoice-pay').click()
  }

  async function fault(body: Record<string, unknown>) {
    const response = await fetch(`${simUrl}/sim/fault`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(response.ok).toBe(true)
  }

  async function simTransactions(userId: number): Promise<unknown[]> {
    const { data } = (await (await fetch(`${simUrl}/sim/transactions`)).json()) as {
      data: Array<{ source?: { user?: { id: number } } }>
    }
    return data.filter((transaction) => transaction.source?.user?.id === userId)
  }

  it('buy → paid, and in the history with its timeline', async () => {
    await withShop('buy', {}, async (page, userId) => {
      await payButton(page, 'magic-book').click()
      await expect.poll(() => text(sheet(page).getByTestId('tma-pay-invoice-title'))).toBe('Magic Book')
      await payInSheet(page)
      await expect.poll(() => text(payButton(page, 'magic-book')), { timeout: 15_000 }).toBe('Paid')
      expect(await text(statusLine(page, 'magic-book'))).toBe('Paid')

      await expect.poll(() => orders(page).getAttribute('data-status'), { timeout: 10_000 }).toBe('paid')
      expect(await orders(page).count()).toBe(1)
      await orders(page).getByRole('button').click()
      const timeline = page.getByTestId('timeline')
      await expect.poll(() => timeline.getByTestId('status-badge').allTextContents()).toContain('Paid')
      expect(await timeline.textContent()).toContain('by Telegram')
      expect(await simTransactions(userId)).toHaveLength(1)

      if (process.env.TMA_PAY_SHOP_SCREENSHOT === '1') {
        mkdirSync(join(root, 'docs'), { recursive: true })
        await page.screenshot({ path: join(root, 'docs/shop.png'), fullPage: true })
      }
    })
  })

  it('cancel in the invoice sheet → cancelled', async () => {
    await withShop('cancel', {}, async (page, userId) => {
      await payButton(page, 'crystal-pack').click()
      await sheet(page).waitFor()
      await page.getByTestId('tma-pay-invoice-cancel').click()
      await expect
        .poll(() => text(statusLine(page, 'crystal-pack')), { timeout: 15_000 })
        .toBe('Payment cancelled')
      expect(await text(payButton(page, 'crystal-pack'))).toBe('Try again')
      await expect.poll(() => orders(page).getAttribute('data-status'), { timeout: 10_000 }).toBe('cancelled')
      expect(await simTransactions(userId)).toEqual([])
    })
  })

  it('reload while the invoice sheet is open → the pending banner → resume → paid', async () => {
    await withShop('reload-resume', {}, async (page, userId) => {
      await payButton(page, 'dragon-skin').click()
      await sheet(page).waitFor()
      await page.reload()
      const banner = page.getByTestId('pending-banner')
      await expect
        .poll(() => text(page.getByTestId('pending-banner-text')), { timeout: 10_000 })
        .toBe('You have an unfinished payment for Dragon Skin.')
      await page.getByTestId('pending-resume').click()
      // The order was not paid: resuming opens its invoice again.
      await payInSheet(page)
      await expect.poll(() => banner.getAttribute('data-status'), { timeout: 15_000 }).toBe('paid')
      expect(await text(page.getByTestId('pending-banner-text'))).toBe('Dragon Skin: Paid')
      await expect.poll(() => orders(page).getAttribute('data-status'), { timeout: 10_000 }).toBe('paid')
      expect(await orders(page).count()).toBe(1)
      expect(await simTransactions(userId)).toHaveLength(1)
      // Settled: nothing is pending any more, so a reload shows no banner.
      await page.reload()
      await card(page, 'dragon-skin').waitFor()
      await expect.poll(() => banner.count()).toBe(0)
    })
  })

  it('pay server unreachable while creating → a clear error; the retry makes one order', async () => {
    await withShop('unreachable', { allowNetworkErrors: true }, async (page, userId) => {
      await card(page, 'magic-book').waitFor()
      // The client retries creation on network errors (same idempotency key), so every attempt of this
      // payment fails, as when the server is down; then the server "comes back".
      let down = true
      let refused = 0
      await page.route('**/api/pay/orders', (route) => {
        if (down && route.request().method() === 'POST') {
          refused++
          return route.abort('connectionrefused')
        }
        return route.continue()
      })
      await payButton(page, 'magic-book').click()
      await expect
        .poll(() => text(statusLine(page, 'magic-book')), { timeout: 15_000 })
        .toMatch(/^Payment failed: Could not reach the pay server/)
      expect(await text(payButton(page, 'magic-book'))).toBe('Try again')
      expect(refused).toBeGreaterThan(0)
      expect(await sheet(page).count()).toBe(0)

      down = false
      await payButton(page, 'magic-book').click()
      await payInSheet(page)
      await expect.poll(() => text(payButton(page, 'magic-book')), { timeout: 15_000 }).toBe('Paid')
      await expect.poll(() => orders(page).getAttribute('data-status'), { timeout: 10_000 }).toBe('paid')
      expect(await orders(page).count()).toBe(1)
      expect(await simTransactions(userId)).toHaveLength(1)
    })
  })

  it('a webhook delayed 3 s → "Confirming payment…", then "Paid"', async () => {
    await withShop('webhook-delayed', {}, async (page) => {
      await card(page, 'crystal-pack').waitFor()
      await fault({ type: 'delay', on: 'successful_payment', ms: 3000 })
      await payButton(page, 'crystal-pack').click()
      await payInSheet(page)
      const paidAt = Date.now()
      await expect
        .poll(() => text(payButton(page, 'crystal-pack')), { timeout: 5_000, interval: 100 })
        .toBe('Confirming payment…')
      await expect.poll(() => text(payButton(page, 'crystal-pack')), { timeout: 15_000 }).toBe('Paid')
      // Not before Telegram's word reached the server.
      expect(Date.now() - paidAt).toBeGreaterThanOrEqual(2500)
    })
  })

  it('a dropped webhook → never paid; the shop says it is waiting', async () => {
    await withShop('webhook-dropped', {}, async (page, userId) => {
      await card(page, 'dragon-skin').waitFor()
      await fault({ type: 'drop', on: 'successful_payment' })
      await payButton(page, 'dragon-skin').click()
      await payInSheet(page)
      await expect
        .poll(() => text(payButton(page, 'dragon-skin')), { timeout: 5_000 })
        .toBe('Confirming payment…')
      // Telegram took the money, but the server never heard: the order stays unpaid, and the UI waits.
      expect(await simTransactions(userId)).toHaveLength(1)
      await expect
        .poll(() => orders(page).getAttribute('data-status'), { timeout: 10_000 })
        .toBe('processing')
      expect(await text(page.getByTestId('order-waiting'))).toBe(
        'Waiting for Telegram to confirm the payment…',
      )
      await page.waitForTimeout(3000)
      expect(await text(payButton(page, 'dragon-skin'))).toBe('Confirming payment…')
      expect(await text(statusLine(page, 'dragon-skin'))).toBe('')
      expect(await orders(page).getAttribute('data-status')).toBe('processing')
    })
  })

  it('the product page checks out with the MainButton', async () => {
    await withShop('main-button', { hash: '#/product/magic-book' }, async (page) => {
      const mainButton = page.getByTestId('main-button')
      await expect.poll(() => text(mainButton), { timeout: 10_000 }).toBe('Pay ⭐ 50')
      await mainButton.click()
      await payInSheet(page)
      await expect
        .poll(() => text(page.getByTestId('product-page').getByRole('status')), { timeout: 15_000 })
        .toBe('Paid')
      expect(await text(mainButton)).toBe('Paid')
      expect(await mainButton.isDisabled()).toBe(true)
    })
  })

  it('dark theme: Telegram night colours, and the toggle switches back', async () => {
    await withShop('dark-theme', { theme: 'dark' }, async (page) => {
      const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor)
      await card(page, 'magic-book').waitFor()
      expect(await background()).toBe('rgb(35, 46, 60)')
      expect(await card(page, 'magic-book').evaluate((node) => getComputedStyle(node).backgroundColor)).toBe(
        'rgb(23, 33, 43)',
      )
      expect(
        await payButton(page, 'magic-book').evaluate((node) => getComputedStyle(node).backgroundColor),
      ).toBe('rgb(82, 137, 193)')
      // The invoice sheet follows the theme too.
      await payButton(page, 'magic-book').click()
      await sheet(page).waitFor()
      expect(
        await sheet(page)
          .locator('div')
          .first()
          .evaluate((node) => getComputedStyle(node).backgroundColor),
      ).toBe('rgb(23, 33, 43)')
      await page.getByTestId('tma-pay-invoice-cancel').click()

      await page.getByTestId('theme-toggle').click()
      await expect.poll(background).toBe('rgb(241, 241, 241)')
      expect(await page.getByTestId('shop').getAttribute('data-theme')).toBe('light')
    })
  })
})
