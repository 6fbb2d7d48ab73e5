// Headless Chromium, and one context per lane: each lane is one user's Mini App (its own connections, as
// on a phone), watching one order at a time. The page's clock is mapped onto the bench's by round trips.
import { existsSync } from 'node:fs'
import { type Browser, chromium, type Page } from 'playwright-core'
import type { Watch } from './page'
import { benchNow } from './site'

export const chromiumPath = process.env.TMA_PAY_CHROMIUM ?? '/usr/bin/chromium'
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath))
    throw new Error(
      `Chromium not found at ${chromiumPath}: install it with \`bash scripts/ci-deps.sh\`, or set TMA_PAY_CHROMIUM.`,
    )
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs })
}

/** The page's clock minus the bench's, from the round trip with the least delay. */
export interface ClockOffset {
  offsetMs: number
  /** Half that round trip: the most the offset can be wrong by. */
  uncertaintyMs: number
}

async function measureOffset(page: Page, tries = 15): Promise<ClockOffset> {
  let best: ClockOffset | undefined
  for (let i = 0; i < tries; i++) {
    const before = benchNow()
    const inPage = await page.evaluate(() => window.benchNow())
    const after = benchNow()
    const candidate = { offsetMs: inPage - (before + after) / 2, uncertaintyMs: (after - before) / 2 }
    if (!best || candidate.uncertaintyMs < best.uncertaintyMs) best = candidate
  }
  return best!
}

export interface Lane {
  /** `window.watch` in the lane's page; its times are on the bench's clock. */
  watch: Watch
  /** Measures the clock offset again; the larger drift of the two is reported. */
  recheckClock(): Promise<ClockOffset>
  readonly clock: ClockOffset
  close(): Promise<void>
}

export async function openLane(browser: Browser, siteUrl: string): Promise<Lane> {
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    await page.goto(siteUrl)
    await page.waitForFunction(() => typeof window.watch === 'function')
    const clock = await measureOffset(page)
    const toBench = (t: number | undefined) => (t === undefined ? undefined : t - clock.offsetMs)
    return {
      clock,
      async watch(orderId, initData, mode, boundMs, baseUrl) {
        const result = await page.evaluate(
          ([id, data, how, bound, base]) => window.watch(id, data, how, bound, base),
          [orderId, initData, mode, boundMs, baseUrl] as const,
        )
        return {
          ...result,
          ...(result.paidSeenAt !== undefined ? { paidSeenAt: toBench(result.paidSeenAt) } : {}),
          ...(result.firstAnswerAt !== undefined ? { firstAnswerAt: toBench(result.firstAnswerAt) } : {}),
        }
      },
      recheckClock: () => measureOffset(page),
      close: () => context.close(),
    }
  } catch (error) {
    await context.close().catch(() => {})
    throw error
  }
}
