// The live bench: how long after Telegram's successful_payment a real browser sees the order paid, over the
// order's live stream against polling, side by side (issue item 8). Headless Chromium runs the page; `tma-pay
// serve` runs in a child process on the Telegram simulator (in this process), on PGlite and optionally
// PostgreSQL, over 127.0.0.1 only. Bounded in payments and in time (--bound, --timeout); it closes the
// browser, stops its children and the PostgreSQL cluster it started on the way out. Results go to stdout,
// progress to stderr; nothing is written into the repository (temp files live in the OS temp dir).
//
//   npx tsx bench/live/run.ts [--payments 40] [--concurrency 4] [--stores pglite,postgres] [--json FILE]
import { writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { Browser } from 'playwright-core'
import {
  coveredMicros,
  latestProfile,
  summarizeProfile,
  type Window,
  wallToMonotonicMicros,
} from '../shared/cpu-profile'
import { makeTempRoot, onShutdown, runBench } from '../shared/lifecycle'
import { busyBeforeStart, describeMachine } from '../shared/machine'
import { writeProductsFile } from '../shared/product'
import { progress } from '../shared/progress'
import { eachStore } from '../shared/stores'
import { launchBrowser } from './browser'
import { type LiveOptions, parseOptions, reproduceCommand, usage } from './options'
import { runStore } from './payments'
import { formatReport, type LiveReport, type StoreSummary, summarizeStore } from './report'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

async function main(options: LiveOptions, signal: AbortSignal): Promise<number> {
  const startedAt = new Date()
  const loadAverage = loadavg()
  const busyBefore = await busyBeforeStart('; figures will be skewed')
  const root = makeTempRoot('tma-pay-bench-live-')
  let browser: Browser | undefined
  // Playwright kills the browsers it launched on exit as well; closing on a signal is the polite first try.
  const forgetBrowser = onShutdown(() => void browser?.close().catch(() => {}))
  let stores: StoreSummary[]
  let chromiumVersion = 'Chromium ?'
  try {
    progress('launching headless Chromium')
    browser = await launchBrowser()
    const open = browser
    chromiumVersion = `Chromium ${browser.version()}`
    const productsFile = writeProductsFile(root.path)
    stores = await eachStore(options.stores, root.path, repoRoot, async (server) => {
      const database = await server.fresh()
      try {
        const run = await runStore(repoRoot, productsFile, database, open, options, server.kind, signal)
        const summary = summarizeStore({ store: server.kind, label: server.label }, run)
        // The server has stopped, so its profile is written: what it ran while live payments were under way.
        const file = run.profileDir && latestProfile(run.profileDir)
        if (file) {
          const windows = run.samples
            .filter(
              (s) =>
                s.mode === 'live' &&
                !s.warmup &&
                s.sentAt !== undefined &&
                (s.proxyAt ?? s.seenAt) !== undefined,
            )
            .map(
              (s): Window => [
                wallToMonotonicMicros(s.sentAt!),
                wallToMonotonicMicros((s.proxyAt ?? s.seenAt)!),
              ],
            )
          const profile = summarizeProfile(file, windows, windows.length)
          const busyPercent =
            ((profile.busyMsPerPayment * windows.length * 1000) / coveredMicros(windows)) * 100
          summary.profile = { file, busyPercent, ...profile }
        }
        return summary
      } finally {
        await database.drop().catch((error) => progress(`cleanup: ${error}`))
      }
    })
  } finally {
    await browser?.close().catch(() => {})
    forgetBrowser()
    root.remove()
  }
  const report: LiveReport = {
    options,
    stores,
    machine: { ...describeMachine(repoRoot, busyBefore), chromium: chromiumVersion, loadAverage },
    command: reproduceCommand(options, process.env.TMA_PAY_BENCH_DATABASE_URL),
    startedAt: startedAt.toISOString(),
    seconds: (Date.now() - startedAt.getTime()) / 1000,
  }
  console.log(formatReport(report))
  if (options.json) writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`)
  const failed = stores.some((store) => (store.errors?.length ?? 0) > 0)
  // A missed target is printed (MISSED), not an exit code: on a busy machine it says more about the machine.
  return failed ? 1 : 0
}

runBench({ parse: parseOptions, usage, timedOut: 'nothing measured is reported', main })
