// mockMiniApp in real Chromium: a page bundled from src/testing/browser.ts and src/core, served beside the pay
// server (proxied under /api/pay, so the app calls its own origin as in production), and the Telegram simulator
// on another origin, reached through its CORS-enabled control API.
import { existsSync, mkdtempSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { type Browser, chromium, type Page } from 'playwright-core'
import type { TelegramSimulator } from 'tma-pay/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createSimulator,
  createTestDatabase,
  type RunningServer,
  startServer,
  type TestDatabase,
} from './helpers/stack'

const chromiumPath = process.env.TMA_PAY_CHROMIUM ?? '/usr/bin/chromium'
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const pageEntry = fileURLToPath(new URL('./browser/mock-mini-app-page.ts', import.meta.url))

const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>mockMiniApp test page</title><link rel="icon" href="data:,">
<style>
  body { background: var(--tg-theme-bg-color); color: var(--tg-theme-text-color); font-family: sans-serif }
  #pay { background: var(--tg-theme-button-color); color: var(--tg-theme-button-text-color); border: 0; padding: 12px }
</style></head>
<body><button id="pay" type="button">Pay 50 Stars</button><p id="status">idle</p>
<script type="module" src="/app.js"></script></body></html>`

/** The page's bundle; esbuild for the browser fails on any node:* import in the graph, which is the point. */
async function bundlePage(): Promise<{ code: string; inputs: string[] }> {
  const result = await build({
    entryPoints: [pageEntry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
    // The page imports the kit as an app does; in a checkout its entry points are the sources.
    alias: { 'tma-pay': './src/core/index.ts', 'tma-pay/testing/browser': './src/testing/browser.ts' },
  })
  return { code: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile.inputs) }
}

/** Serves the page and its bundle, and passes /api/pay/* on to the pay server. */
async function servePage(code: string, payServerUrl: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = req.url ?? '/'
    if (path.startsWith('/api/pay/')) {
      const target = new URL(path.slice('/api/pay'.length), payServerUrl)
      const upstream = request(
        target,
        { method: req.method, headers: { ...req.headers, host: target.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        },
      )
      upstream.on('error', () => {
        res.writeHead(502).end()
      })
      req.pipe(upstream)
      return
    }
    if (path === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(code)
      return
    }
    if (path === '/' || path.startsWith('/?')) {
      res.writeHead(200, { 'content-type': 'text/html' }).end(html)
      return
    }
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

/**
 * The browser's first click waits for its first rendered frames, which takes seconds on a busy machine; paying
 * that here, in the hook, keeps the tests' own time for the tests.
 */
async function warmUp(browser: Browser): Promise<void> {
  const page = await browser.newPage()
  await page.setContent('<button type="button">warm up</button>')
  await page.click('button')
  await page.close()
}

interface MockInPage {
  events: Array<{ name: string; params: unknown }>
  mainButton?: { text?: string; is_visible?: boolean }
  invoices: Array<{ slug: string; status: string }>
}

describe('mockMiniApp in Chromium', () => {
  let sim: TelegramSimulator
  let database: TestDatabase
  let payServer: RunningServer
  let pageServer: { url: string; server: Server }
  let browser: Browser
  let bundleInputs: string[] = []
  let nextUser = 31_000
  let screenshots: string | undefined

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) {
      throw new Error(
        `Chromium not found at ${chromiumPath}: install it with \`bash scripts/ci-deps.sh\` (CI does), ` +
          'or point TMA_PAY_CHROMIUM at a Chromium binary.',
      )
    }
    const [bundle, launched] = await Promise.all([
      bundlePage(),
      // Playwright gives each launch a fresh temporary profile (it refuses --user-data-dir for launch()).
      chromium.launch({ executablePath: chromiumPath, args: chromiumArgs }),
    ])
    browser = launched
    bundleInputs = bundle.inputs
    const stack = (async () => {
      sim = await createSimulator()
      database = await createTestDatabase('pglite')
      payServer = await startServer(sim, database.open())
      pageServer = await servePage(bundle.code, payServer.url)
    })()
    await Promise.all([stack, warmUp(browser)])
  })

  afterAll(async () => {
    await browser?.close()
    if (pageServer) {
      const { server } = pageServer
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    }
    await payServer?.close()
    await sim?.close()
    await database?.remove()
  })

  /** Opens the page as a new user; on failure saves a screenshot and says where. */
  async function withPage(
    name: string,
    query: Record<string, string>,
    run: (page: Page, userId: number) => Promise<void>,
  ): Promise<void> {
    const userId = nextUser++
    const context = await browser.newContext()
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    try {
      const search = new URLSearchParams({ sim: sim.url, user: String(userId), ...query })
      await page.goto(`${pageServer.url}/?${search}`)
      await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 })
      await run(page, userId)
      expect(errors).toEqual([])
    } catch (error) {
      screenshots ??= mkdtempSync(join(tmpdir(), 'tma-pay-mock-mini-app-'))
      const file = join(screenshots, `${name}.png`)
      await page.screenshot({ path: file, fullPage: true }).catch(() => undefined)
      console.error(
        `mockMiniApp test "${name}" failed; screenshot: ${file}; page errors: ${errors.join(' | ')}`,
      )
      throw error
    } finally {
      await context.close()
    }
  }

  const statusOf = (page: Page) => page.locator('#status').textContent()
  const mockOf = (page: Page) => page.evaluate(() => (window as unknown as { mock: MockInPage }).mock)

  it('bundles for the browser with no Node built-in in the graph', () => {
    expect(bundleInputs.some((input) => input.endsWith('src/testing/browser.ts'))).toBe(true)
    expect(bundleInputs.filter((input) => input.startsWith('node:'))).toEqual([])
  })

  it('shows the invoice sheet; Pay → the server says paid', async () => {
    await withPage('sheet-pay', { theme: 'dark' }, async (page, userId) => {
      // Theme CSS variables are there with no app code: the page's button uses --tg-theme-button-color.
      expect(await page.locator('#pay').evaluate((node) => getComputedStyle(node).backgroundColor)).toBe(
        'rgb(82, 137, 193)',
      )
      await page.click('#pay')
      const sheet = page.getByTestId('tma-pay-invoice-sheet')
      await sheet.waitFor()
      await expect.poll(() => sheet.getByTestId('tma-pay-invoice-title').textContent()).toBe('Magic Book')
      expect(await sheet.getByTestId('tma-pay-invoice-amount').textContent()).toBe('⭐ 50')
      await page.getByTestId('tma-pay-invoice-pay').click()
      await expect.poll(() => statusOf(page), { timeout: 10_000 }).toBe('paid')
      expect(await page.locator('#status').getAttribute('data-order')).toBe('paid')
      expect(await sheet.count()).toBe(0)
      // Telegram really took the money: the simulator has this user's Star payment.
      expect(sim.transactions.filter((transaction) => transaction.source?.user.id === userId)).toHaveLength(1)

      const mock = await mockOf(page)
      expect(mock.invoices.map((invoice) => invoice.status)).toEqual(['paid'])
      expect(mock.events.map((event) => event.name)).toContain('web_app_open_invoice')
      expect(mock.mainButton).toMatchObject({ text: 'Buy the Magic Book', is_visible: true })
    })
  })

  it('Cancel in the sheet → cancelled, confirmed by the server', async () => {
    await withPage('sheet-cancel', {}, async (page, userId) => {
      await page.click('#pay')
      await page.getByTestId('tma-pay-invoice-sheet').waitFor()
      await page.getByTestId('tma-pay-invoice-cancel').click()
      await expect.poll(() => statusOf(page), { timeout: 10_000 }).toBe('cancelled')
      expect(await page.locator('#status').getAttribute('data-order')).toBe('cancelled')
      expect(sim.transactions.filter((transaction) => transaction.source?.user.id === userId)).toEqual([])
    })
  })

  it("plays a scripted outcome without UI: 'cancelled' reported for a paid invoice ends paid", async () => {
    await withPage('script-cancelled-but-paid', { invoice: 'cancelled-but-paid' }, async (page) => {
      await page.click('#pay')
      await expect.poll(() => statusOf(page), { timeout: 10_000 }).toBe('paid')
      expect(await page.getByTestId('tma-pay-invoice-sheet').count()).toBe(0)
      expect((await mockOf(page)).invoices.map((invoice) => invoice.status)).toEqual(['cancelled'])
    })
  })

  it('answers theme and viewport requests as Telegram does', async () => {
    await withPage('requests', { theme: 'dark' }, async (page) => {
      const answers = await page.evaluate(async () => {
        const { tma } = window as unknown as {
          tma: {
            on(event: string, listener: (payload: unknown) => void): () => void
            postEvent(method: string): void
          }
        }
        const ask = (method: string, event: string) =>
          new Promise<unknown>((resolve) => {
            const off = tma.on(event, (payload) => {
              off()
              resolve(payload)
            })
            tma.postEvent(method)
          })
        return {
          theme: await ask('web_app_request_theme', 'theme_changed'),
          viewport: await ask('web_app_request_viewport', 'viewport_changed'),
        }
      })
      expect(answers.theme).toMatchObject({ theme_params: { bg_color: '#17212b', button_color: '#5289c1' } })
      expect(answers.viewport).toMatchObject({ is_expanded: true, is_state_stable: true })
    })
  })
})
