// @vitest-environment node
// Every Storybook story, built statically and opened in real Chromium: each one must render (and finish
// its play function) with no console error, no page error and no failed request.
//
//   npx vitest run test/stories.test.ts
//
// TMA_PAY_CHROMIUM=/path/to/chromium picks another browser; TMA_PAY_STORIES=<substring> runs only the
// stories whose id contains it; TMA_PAY_STORYBOOK_DIR=<dir> tests an existing build instead of building.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, normalize, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, type ConsoleMessage, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const minutes = (n: number) => n * 60_000
/** Longest a story may take to render and finish its play function. */
const storyTimeoutMs = 30_000
/** How long a finished story stays open, so errors it logs just after finishing still count. */
const settleMs = 150
/** Stories open side by side; 2 keeps a 2-core runner busy without starving the browser. */
const concurrency = Math.max(1, Number(process.env.TMA_PAY_STORIES_CONCURRENCY) || 2)

/** The browser to run: TMA_PAY_CHROMIUM, else Debian's chromium (or Chrome) on PATH. */
function findChromium(): string | undefined {
  const chosen = process.env.TMA_PAY_CHROMIUM
  if (chosen) return existsSync(chosen) ? chosen : undefined
  const dirs = ['/usr/bin', ...(process.env.PATH ?? '').split(':').filter(Boolean)]
  for (const name of ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome']) {
    for (const dir of dirs) {
      const path = join(dir, name)
      if (existsSync(path)) return path
    }
  }
  return undefined
}

/** `storybook build` into `outDir`; rejects with its output when it fails. */
function buildStorybook(outDir: string): Promise<void> {
  const bin = join(root, 'node_modules/storybook/dist/bin/dispatcher.js')
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'build', '-o', outDir, '--quiet'], {
      cwd: root,
      // TMA_PAY_STORYBOOK_DEV: React's development build, whose warnings are console errors too.
      env: {
        ...process.env,
        TMA_PAY_STORYBOOK_DEV: '1',
        STORYBOOK_DISABLE_TELEMETRY: '1',
        NO_COLOR: '1',
        FORCE_COLOR: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0 && existsSync(join(outDir, 'index.json'))) resolve()
      else reject(new Error(`storybook build failed (exit ${code}):\n${output.slice(-8000)}`))
    })
  })
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
}

/** Serves `dir` on 127.0.0.1 (a random port); the base URL ends with '/'. */
async function serveStatic(dir: string): Promise<{ server: Server; baseUrl: string }> {
  const server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname)
    let file = normalize(join(dir, pathname))
    if (!file.startsWith(dir + sep) && file !== dir) {
      res.writeHead(403).end()
      return
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html')
    // Chromium asks every new profile for /favicon.ico; Storybook has none, and that is no story's fault.
    if (!existsSync(file) && pathname === '/favicon.ico') {
      res.writeHead(204).end()
      return
    }
    if (!existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${pathname}`)
      return
    }
    res.writeHead(200, {
      'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    })
    res.end(readFileSync(file))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { server, baseUrl: `http://127.0.0.1:${port}/` }
}

interface StoryEntry {
  id: string
  title: string
  name: string
  type: string
  tags?: string[]
}

/** What the page records about the story, from Storybook's own channel events. */
interface StoryWatch {
  finished: null | 'success' | 'error'
  problems: string[]
}

declare global {
  interface Window {
    __storyWatch?: StoryWatch
  }
}

// Runs in the page before Storybook: listens on the preview's channel the moment it is created, so no
// event is missed. `storyFinished` comes after the play function, `afterEach` and the animations.
function watchStorybookChannel() {
  const watch: StoryWatch = { finished: null, problems: [] }
  window.__storyWatch = watch
  type Channel = { on(event: string, listener: (payload: unknown) => void): void }
  const hooked = new WeakSet<object>()
  const describe = (payload: unknown) => {
    if (payload && typeof payload === 'object') {
      const { message, title, description } = payload as Record<string, unknown>
      return String(message ?? [title, description].filter(Boolean).join(': ') ?? JSON.stringify(payload))
    }
    return String(payload)
  }
  const hook = (channel: Channel) => {
    if (!channel || typeof channel !== 'object' || hooked.has(channel)) return
    hooked.add(channel)
    channel.on('storyFinished', (payload) => {
      watch.finished = (payload as { status?: string }).status === 'success' ? 'success' : 'error'
    })
    const problems: Record<string, string> = {
      storyThrewException: 'the story threw',
      storyErrored: 'the story errored',
      storyMissing: 'the story is missing',
      playFunctionThrewException: 'the play function threw',
      unhandledErrorsWhilePlaying: 'unhandled errors while playing',
    }
    for (const [event, what] of Object.entries(problems)) {
      channel.on(event, (payload) => {
        watch.problems.push(`${what}: ${describe(payload)}`)
      })
    }
  }
  let current: unknown
  Object.defineProperty(globalThis, '__STORYBOOK_ADDONS_CHANNEL__', {
    configurable: true,
    get: () => current,
    set: (next) => {
      current = next
      hook(next as Channel)
    },
  })
}

// Error texts carry ANSI colours (storybook/test's expect) and long minified stacks: keep the gist.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const ansi = /\u001b\[[0-9;]*m/g
function clip(text: string): string {
  const all = text.replace(ansi, '').trim().split('\n')
  let frames = 0
  const kept = all.filter((line) => (/^\s*at /.test(line) ? ++frames <= 2 : true)).slice(0, 10)
  return kept.length < all.length
    ? [...kept, `  … (${all.length - kept.length} more lines)`].join('\n')
    : kept.join('\n')
}

/** A console message as the devtools show it: `%s`/`%o` filled in, errors with their stack. */
async function formatConsoleMessage(message: ConsoleMessage): Promise<string> {
  const args = await Promise.all(
    message.args().map((arg) =>
      arg
        .evaluate((value) => {
          if (value instanceof Error) return value.stack ?? String(value)
          if (typeof value === 'string') return value
          try {
            return JSON.stringify(value) ?? String(value)
          } catch {
            return String(value)
          }
        })
        .catch(() => undefined),
    ),
  )
  if (args.length === 0 || args.some((arg) => arg === undefined)) return message.text()
  const [first, ...rest] = args as string[]
  const text = first!.replace(/%[sdifoOc]/g, (spec) => {
    const next = rest.shift()
    return spec === '%c' || next === undefined ? '' : next
  })
  return [text, ...rest].join(' ')
}

interface StoryResult {
  id: string
  problems: string[]
  screenshot?: string
  ms: number
}

async function checkStory(
  browser: Browser,
  baseUrl: string,
  story: StoryEntry,
  shotsDir: string,
): Promise<StoryResult> {
  const started = Date.now()
  const problems: string[] = []
  // A context of its own: empty storage, as on a first launch (the pending payment lives in localStorage).
  const context = await browser.newContext({ viewport: { width: 420, height: 720 } })
  await context.addInitScript(watchStorybookChannel)
  // Nothing leaves the machine: a story that reaches for the network fails as a failed request.
  await context.route(
    (url) => url.hostname !== '127.0.0.1',
    (route) => route.abort('blockedbyclient'),
  )
  const page = await context.newPage()
  const pending: Promise<void>[] = []
  page.on('console', (message) => {
    if (message.type() !== 'error') return
    const where = message.location()
    const at = where.url ? ` (${where.url.replace(baseUrl, '')}:${where.lineNumber})` : ''
    pending.push(
      formatConsoleMessage(message).then((text) => {
        problems.push(`console.error: ${text}${at}`)
      }),
    )
  })
  page.on('pageerror', (error) => {
    problems.push(`page error: ${error.stack ?? error.message}`)
  })
  page.on('requestfailed', (request) => {
    problems.push(`request failed: ${request.method()} ${request.url()} (${request.failure()?.errorText})`)
  })
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`)
  })
  try {
    await page.goto(`${baseUrl}iframe.html?id=${encodeURIComponent(story.id)}&viewMode=story`, {
      waitUntil: 'load',
      timeout: storyTimeoutMs,
    })
    try {
      await page.waitForFunction(
        () => {
          const watch = window.__storyWatch
          return Boolean(watch && (watch.finished || watch.problems.length > 0))
        },
        undefined,
        { timeout: storyTimeoutMs, polling: 50 },
      )
    } catch {
      const phase = await page
        .evaluate(() => {
          const preview = (globalThis as { __STORYBOOK_PREVIEW__?: { currentRender?: { phase?: string } } })
            .__STORYBOOK_PREVIEW__
          return preview?.currentRender?.phase ?? 'no render'
        })
        .catch(() => 'unknown')
      problems.push(`did not finish within ${storyTimeoutMs / 1000} s (render phase: ${phase})`)
    }
    // A moment more for what a finished story still does at once (a last effect, a poll, a late log).
    await page.waitForTimeout(settleMs)
    const state = await page.evaluate(() => ({
      watch: window.__storyWatch,
      errorShown: document.body.classList.contains('sb-show-errordisplay'),
      errorText: document.querySelector('.sb-errordisplay')?.textContent?.trim().split('\n')[0] ?? '',
      rootChildren: document.getElementById('storybook-root')?.childElementCount ?? 0,
    }))
    if (state.watch) {
      problems.push(...state.watch.problems)
      if (state.watch.finished === 'error' && state.watch.problems.length === 0)
        problems.push('Storybook finished the story with status "error"')
    }
    if (state.errorShown) problems.push(`Storybook shows an error: ${state.errorText}`)
    if (state.rootChildren === 0 && !state.errorShown) problems.push('#storybook-root is empty')
  } catch (error) {
    problems.push(`could not open the story: ${(error as Error).message}`)
  }
  await Promise.all(pending)
  let screenshot: string | undefined
  if (problems.length > 0) {
    mkdirSync(shotsDir, { recursive: true })
    screenshot = join(shotsDir, `${story.id}.png`)
    await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {
      screenshot = undefined
    })
  }
  await context.close().catch(() => {})
  return {
    id: story.id,
    problems: [...new Set(problems.map((problem) => clip(problem)))],
    ms: Date.now() - started,
    ...(screenshot && { screenshot }),
  }
}

/** Runs `work` over `items`, at most `limit` at once, keeping the order of the results. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

describe('Storybook stories in Chromium', () => {
  const chromiumPath = findChromium()
  let work: string
  let staticDir: string
  let server: Server | undefined
  let baseUrl: string
  let browser: Browser | undefined

  beforeAll(async () => {
    if (!chromiumPath)
      throw new Error(
        process.env.TMA_PAY_CHROMIUM
          ? `Chromium not found at TMA_PAY_CHROMIUM=${process.env.TMA_PAY_CHROMIUM}. Install Debian's with: bash scripts/ci-deps.sh`
          : 'Chromium not found (looked for chromium, chromium-browser, google-chrome on PATH). Install it with: bash scripts/ci-deps.sh',
      )
    work = mkdtempSync(join(tmpdir(), 'tma-pay-stories-'))
    staticDir = process.env.TMA_PAY_STORYBOOK_DIR ?? join(work, 'storybook-static')
    if (!process.env.TMA_PAY_STORYBOOK_DIR) {
      const started = Date.now()
      await buildStorybook(staticDir)
      console.log(`storybook build: ${((Date.now() - started) / 1000).toFixed(1)} s`)
    }
    ;({ server, baseUrl } = await serveStatic(staticDir))
    // Playwright gives the browser a fresh profile (--user-data-dir in a new temp dir) and removes it on close.
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
  }, minutes(5))

  afterAll(async () => {
    await browser?.close()
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    // Screenshots of failing stories stay for a look; everything else goes.
    if (work) {
      rmSync(join(work, 'storybook-static'), { recursive: true, force: true })
      if (!existsSync(join(work, 'screenshots'))) rmSync(work, { recursive: true, force: true })
    }
  })

  it(
    'renders every story with no console error, page error or failed request',
    async () => {
      const index = JSON.parse(readFileSync(join(staticDir, 'index.json'), 'utf8')) as {
        entries: Record<string, StoryEntry>
      }
      const only = process.env.TMA_PAY_STORIES
      const stories = Object.values(index.entries).filter(
        (entry) => entry.type === 'story' && (!only || entry.id.includes(only)),
      )
      expect(stories.length, 'stories in index.json').toBeGreaterThan(0)

      const shotsDir = join(work, 'screenshots')
      const started = Date.now()
      const results = await pool(stories, concurrency, (story) =>
        checkStory(browser!, baseUrl, story, shotsDir),
      )
      const seconds = ((Date.now() - started) / 1000).toFixed(1)
      const failed = results.filter((result) => result.problems.length > 0)
      console.log(`${stories.length} stories in ${seconds} s, ${failed.length} failed`)
      const slowest = [...results].sort((a, b) => b.ms - a.ms).slice(0, 3)
      console.log(
        `slowest: ${slowest.map((result) => `${result.id} ${(result.ms / 1000).toFixed(1)} s`).join(', ')}`,
      )
      if (failed.length > 0) {
        const report = failed
          .map((result) =>
            [
              `✗ ${result.id}`,
              ...result.problems.map((problem) => `    ${problem.split('\n').join('\n      ')}`),
              ...(result.screenshot ? [`    screenshot: ${result.screenshot}`] : []),
            ].join('\n'),
          )
          .join('\n')
        throw new Error(`${failed.length} of ${stories.length} stories failed:\n${report}`)
      }
    },
    minutes(5),
  )
})
