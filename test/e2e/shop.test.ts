// @vitest-environment node
// The demo shop end to end, as `npm start` serves it: scripts/start.mjs (tma-pay serve on PGlite with the shop's
// own bot in it, the Telegram simulator, the shop's Vite dev server), driven in real Chromium by a person's clicks on the
// invoice sheet, and by the simulator's control API for the user's chat with the shop's bot.
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
      // No reconciliation: a minute's tick would pay the order of 'a dropped webhook' while it is watched.
      TMA_PAY_RECONCILE_INTERVAL_MS: '0',
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

  it('a bought Magic Book is owned: after a reload and in another browser profile of the same user', async () => {
    await withShop('owned', {}, async (page, userId) => {
      await payButton(page, 'magic-book').click()
      await payInSheet(page)
      await expect.poll(() => text(payButton(page, 'magic-book')), { timeout: 15_000 }).toBe('Paid')
      await page.reload()
      await expect.poll(() => text(payButton(page, 'magic-book')), { timeout: 15_000 }).toBe('Owned')
      expect(await payButton(page, 'magic-book').isDisabled()).toBe(true)
      // Another profile (no storage of the first), the same Telegram user: the server says it is owned.
      const other = await browser.newContext({ viewport: { width: 820, height: 900 } })
      try {
        const second = await other.newPage()
        await second.goto(`${started.shopUrl}?user=${userId}`)
        await expect.poll(() => text(payButton(second, 'magic-book')), { timeout: 15_000 }).toBe('Owned')
        expect(await payButton(second, 'magic-book').isDisabled()).toBe(true)
        // A consumable beside it still sells.
        expect(await text(payButton(second, 'crystal-pack'))).toBe('Pay ⭐ 15')
      } finally {
        await other.close()
      }
    })
  })

  it('the Day pass shows its time left and offers to extend it', async () => {
    await withShop('day-pass', {}, async (page) => {
      await payButton(page, 'day-pass').click()
      await payInSheet(page)
      await expect.poll(() => text(payButton(page, 'day-pass')), { timeout: 15_000 }).toBe('Paid')
      await expect
        .poll(() => text(page.getByTestId('pass-time-day-pass')), { timeout: 10_000 })
        .toMatch(/^Active for 2[34] h \d+ min more$/)
      await page.reload()
      await expect.poll(() => text(payButton(page, 'day-pass')), { timeout: 15_000 }).toBe('Extend ⭐ 10')
      await payButton(page, 'day-pass').click()
      await payInSheet(page)
      await expect
        .poll(() => text(page.getByTestId('pass-time-day-pass')), { timeout: 15_000 })
        .toMatch(/^Active for 4[78] h \d+ min more$/)
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

  it('the admin page: the order with its timeline and the Stars chart, a refund, a wrong key', async () => {
    // allowNetworkErrors: Chromium logs the wrong key's 401 answers, which the test asks for.
    await withShop('admin-refund', { allowNetworkErrors: true }, async (page, userId) => {
      await payButton(page, 'magic-book').click()
      await payInSheet(page)
      await expect.poll(() => text(payButton(page, 'magic-book')), { timeout: 15_000 }).toBe('Paid')

      // The shop owner's page, with the demo's admin key (start.mjs gave serve a random one for this run).
      await page.getByTestId('admin-link').click()
      await page.getByTestId('admin-page').waitFor()
      // Every user's orders are there; this user's alone, to count on them (other tests buy too).
      await page.getByTestId('admin-user-filter').fill(String(userId))
      const row = page.getByTestId('admin-order')
      await expect
        .poll(() => text(page.getByTestId('admin-total')), { timeout: 10_000 })
        .toBe(`1 order of user ${userId}`)
      expect(await row.count()).toBe(1)
      expect(await row.getAttribute('data-status')).toBe('paid')
      expect(await text(row.getByTestId('status-badge'))).toBe('Paid')
      expect(await text(row.getByTestId('admin-order-user'))).toBe(String(userId))
      expect(await text(row.getByTestId('admin-order-amount'))).toBe('⭐ 50')
      expect(await row.getByTestId('admin-order-paid-at').count()).toBe(1)

      // Today's bar holds the 50 Stars, said in its label (the bar's title and the screen-reader list).
      const today = page.locator('[data-testid="stars-day"][data-today="true"]')
      await expect.poll(() => today.getAttribute('data-taken'), { timeout: 10_000 }).toBe('50')
      expect(await today.locator('title').textContent()).toMatch(/ \(today\): ⭐ 50 taken$/)
      expect(await page.getByTestId('stars-days').locator('li').last().textContent()).toMatch(
        / \(today\): ⭐ 50 taken$/,
      )

      await row.getByTestId('admin-timeline-toggle').click()
      const timeline = row.getByTestId('timeline')
      await expect
        .poll(() => timeline.getByTestId('status-badge').allTextContents(), { timeout: 10_000 })
        .toContain('Paid')
      expect(await timeline.textContent()).toContain('by Telegram')

      // Refund: a confirm step, then the row shows the refunded order.
      await row.getByTestId('admin-refund').click()
      expect(await text(row.getByTestId('admin-confirm'))).toContain(`Give ⭐ 50 back to user ${userId}?`)
      await row.getByTestId('admin-refund-confirm').click()
      await expect.poll(() => row.getAttribute('data-status'), { timeout: 10_000 }).toBe('refunded')
      // The row's own badge comes first; the expanded timeline has one per event after it.
      expect(await text(row.getByTestId('status-badge').first())).toBe('Refunded')
      expect(await row.getByTestId('admin-order-refunded-at').count()).toBe(1)
      expect(await row.getByTestId('admin-refund').count()).toBe(0)
      await expect
        .poll(() => timeline.getByTestId('status-badge').allTextContents(), { timeout: 10_000 })
        .toContain('Refunded')
      expect(await timeline.textContent()).toContain('by an admin')
      // Refunded Stars leave the bar and are shown apart.
      await expect.poll(() => today.getAttribute('data-taken'), { timeout: 10_000 }).toBe('0')
      expect(await today.getAttribute('data-refunded')).toBe('50')
      expect(await today.locator('title').textContent()).toMatch(/ \(today\): ⭐ 0 taken, ⭐ 50 refunded$/)

      // What the user owns: the refund ended the Magic Book; the owner grants the Dragon Skin, then revokes it.
      const owned = page.getByTestId('admin-entitlements')
      await expect
        .poll(() => text(owned.getByTestId('entitlement-magic-book').getByTestId('entitlement-state')), {
          timeout: 10_000,
        })
        .toBe('ended')
      await owned.getByTestId('grant-product').selectOption('dragon-skin')
      await owned.getByTestId('grant-reason').fill('support ticket 7')
      await owned.getByTestId('grant-submit').click()
      const skin = owned.getByTestId('entitlement-dragon-skin')
      await expect.poll(() => text(skin.getByTestId('entitlement-state')), { timeout: 10_000 }).toBe('active')
      expect(await skin.textContent()).toContain('granted')
      await skin.getByTestId('revoke-dragon-skin').click()
      await expect.poll(() => text(skin.getByTestId('entitlement-state')), { timeout: 10_000 }).toBe('ended')

      // The status filter: the order is among the refunded ones now, no longer among the paid.
      await page.getByTestId('admin-status-filter').selectOption('paid')
      await expect
        .poll(() => text(page.getByTestId('admin-total')), { timeout: 10_000 })
        .toBe(`0 orders paid of user ${userId}`)
      await page.getByTestId('admin-status-filter').selectOption('refunded')
      await expect
        .poll(() => text(page.getByTestId('admin-total')), { timeout: 10_000 })
        .toBe(`1 order refunded of user ${userId}`)
      expect(await row.getAttribute('data-status')).toBe('refunded')

      if (process.env.TMA_PAY_SHOP_SCREENSHOT === '1') {
        await page.getByTestId('admin-status-filter').selectOption('')
        await row.getByTestId('admin-timeline-toggle').click()
        await page.screenshot({ path: join(root, 'docs/admin.png'), fullPage: true })
      }

      // A wrong key: the server's 401 message.
      await page.getByTestId('admin-change-key').click()
      await page.getByTestId('admin-key-input').fill('not-the-admin-key')
      await page.getByTestId('admin-key-submit').click()
      await expect
        .poll(() => text(page.getByTestId('admin-error')), { timeout: 10_000 })
        .toMatch(/^The pay server refused the key: Wrong or missing admin key/)
      await page.getByTestId('admin-demo-key').click()
      await page.getByTestId('admin-user-filter').fill(String(userId))
      await expect.poll(() => row.getAttribute('data-status'), { timeout: 10_000 }).toBe('refunded')

      // Back in the shop, the user's history says refunded.
      await page.getByRole('link', { name: '← Back to the shop' }).click()
      await expect.poll(() => orders(page).getAttribute('data-status'), { timeout: 10_000 }).toBe('refunded')
      expect(await text(orders(page).getByTestId('status-badge'))).toBe('Refunded')
      expect(await text(page.getByTestId('order-refunded'))).toMatch(
        /^Refunded .+: the Stars went back to you\.$/,
      )
      await orders(page).getByRole('button').click()
      await expect
        .poll(() => page.getByTestId('order-details').getByTestId('status-badge').allTextContents())
        .toContain('Refunded')
      expect(await page.getByTestId('order-refunded-at').count()).toBe(1)
      expect(await simTransactions(userId)).toHaveLength(1)
    })
  })

  it('a subscription: buy the Wizard Pass, cancel, re-enable, and a renewal moves its end 30 days on', async () => {
    await withShop('subscription', {}, async (page, userId) => {
      const pass = card(page, 'wizard-pass')
      const subscription = pass.getByTestId('subscription')
      const status = () => text(pass.getByTestId('subscription-status'))
      const expiresAt = async () => Date.parse((await subscription.getAttribute('data-expires-at')) ?? '')
      // The date as the page writes it (the browser's locale and time zone).
      const day = (at: number) =>
        page.evaluate(
          (ms) => new Date(ms).toLocaleDateString('en', { year: 'numeric', month: 'short', day: 'numeric' }),
          at,
        )
      const period = 30 * 86_400_000

      await payButton(page, 'wizard-pass').click()
      await payInSheet(page)
      // Paid: the card shows the running subscription instead of the PayButton.
      await subscription.waitFor({ timeout: 15_000 })
      expect(await payButton(page, 'wizard-pass').count()).toBe(0)
      const first = await expiresAt()
      expect(Math.abs(first - (Date.now() + period))).toBeLessThan(120_000)
      expect(await status()).toBe(`Active until ${await day(first)}`)
      expect(await subscription.getAttribute('data-canceled')).toBe('false')

      // Cancel: renewals off, still active until the same date.
      await pass.getByTestId('subscription-cancel').click()
      await expect.poll(() => subscription.getAttribute('data-canceled'), { timeout: 10_000 }).toBe('true')
      expect(await status()).toBe(`Canceled, active until ${await day(first)}`)
      expect(await expiresAt()).toBe(first)
      // Re-enable: renewals on again.
      await pass.getByTestId('subscription-reenable').click()
      await expect.poll(() => subscription.getAttribute('data-canceled'), { timeout: 10_000 }).toBe('false')
      expect(await status()).toBe(`Active until ${await day(first)}`)

      // Telegram renews it (the simulator's control API): the end moves one period on.
      const [charge] = (await simTransactions(userId)) as Array<{ id: string }>
      const renewed = await fetch(`${simUrl}/sim/subscriptions/renew`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ chargeId: charge!.id }),
      })
      expect(renewed.status).toBe(200)
      await expect
        .poll(
          async () => {
            await page.reload()
            await subscription.waitFor({ timeout: 10_000 })
            return expiresAt()
          },
          { timeout: 20_000, interval: 500 },
        )
        .toBe(first + period)
      expect(await status()).toBe(`Active until ${await day(first + period)}`)
      expect(await simTransactions(userId)).toHaveLength(2)
    })
  })

  it("the shop's bot: /start opens the shop, and /buy's chat invoice, paid, is in the page's history", async () => {
    await withShop('shop-bot', {}, async (page, userId) => {
      const control = async (path: string, body: unknown) => {
        const response = await fetch(`${simUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
        expect(response.status).toBe(200)
        return response.json()
      }
      const chat = async () =>
        (
          (await (await fetch(`${simUrl}/sim/chats/${userId}`)).json()) as {
            data: Array<{
              from?: { is_bot: boolean }
              text?: string
              reply_markup?: unknown
              invoice?: unknown
            }>
          }
        ).data
      // tma-pay serve hands the user's messages to the shop's own bot (--bot-module), which answers through the Bot API.
      await control('/sim/messages', { userId, text: '/start' })
      await expect
        .poll(async () => (await chat()).at(-1)?.reply_markup, { timeout: 10_000 })
        .toEqual({
          inline_keyboard: [[{ text: 'Open the shop', web_app: { url: started.shopUrl } }]],
        })
      await control('/sim/messages', { userId, text: '/buy' })
      await expect
        .poll(async () => (await chat()).at(-1)?.invoice, { timeout: 10_000 })
        .toMatchObject({
          title: 'Pack of Crystals',
          total_amount: 15,
          currency: 'XTR',
        })
      expect(await control('/sim/chat-invoices/pay', { chatId: userId })).toMatchObject({ outcome: 'paid' })
      await page.reload()
      await expect.poll(() => orders(page).getAttribute('data-status'), { timeout: 10_000 }).toBe('paid')
      expect(await text(orders(page).locator('.order-title'))).toBe('Pack of Crystals')
      expect(await orders(page).count()).toBe(1)
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
