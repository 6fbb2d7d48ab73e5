// The live bench: how long after Telegram's successful_payment a real browser sees the order paid, over the
// order's live stream against polling, side by side (issue item 8). Headless Chromium runs the page; `tma-pay
// serve` runs in a child process on the Telegram simulator (in this process), on PGlite and optionally
// PostgreSQL, over 127.0.0.1 only. Bounded in payments and in time (--bound, --timeout); it closes the
// browser, stops its children and the PostgreSQL cluster it started on the way out. Results go to stdout,
// progress to stderr; nothing is written into the repository (temp files live in the OS temp dir).
//
//   npx tsx bench/live/run.ts [--payments 40] [--concurrency 4] [--stores pglite,postgres] [--json FILE]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser } from 'playwright-core'
import { machineBusyPercent } from '../server/cpu'
import { type DatabaseServer, pgliteServer, postgresServer, stopClusterOnExit } from '../server/databases'
import { killAllChildren } from '../server/processes'
import { writeProductsFile } from '../server/product'
import { describeMachine, quietPercent } from '../server/report'
import { launchBrowser } from './browser'
import { type LiveOptions, parseOptions, reproduceCommand, usage } from './options'
import { runStore } from './payments'
import { formatReport, type LiveReport, type StoreSummary, summarizeStore } from './report'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const progress = (text: string) => process.stderr.write(`bench: ${text}\n`)

async function openServer(kind: LiveOptions['stores'][number], root: string): Promise<DatabaseServer> {
  if (kind === 'pglite') return pgliteServer(root, repoRoot)
  progress(
    process.env.TMA_PAY_BENCH_DATABASE_URL
      ? 'postgres: using TMA_PAY_BENCH_DATABASE_URL'
      : 'postgres: starting a throwaway cluster',
  )
  return postgresServer(root, repoRoot)
}

let browser: Browser | undefined
let tempRoot: string | undefined

async function main(): Promise<number> {
  let options: LiveOptions | undefined
  try {
    options = parseOptions(process.argv.slice(2))
  } catch (error) {
    console.error(`bench: ${(error as Error).message}\n\n${usage}`)
    return 2
  }
  if (!options) {
    console.log(usage)
    return 0
  }
  const startedAt = new Date()
  const signal = AbortSignal.timeout(options.timeoutSeconds * 1000)
  // A backstop for a hang no await will notice: end everything a minute past the limit.
  setTimeout(
    () => {
      progress(`still running ${options.timeoutSeconds + 60} s after start; killing everything`)
      shutdownNow(1)
    },
    (options.timeoutSeconds + 60) * 1000,
  ).unref()

  const loadAverage = loadavg()
  const busyBefore = await machineBusyPercent(1000, cpus().length)
  if (busyBefore !== undefined && busyBefore > quietPercent)
    progress(
      `warning: the cores were ${busyBefore.toFixed(0)}% busy before the bench started; figures will be skewed`,
    )
  const root = mkdtempSync(join(tmpdir(), 'tma-pay-bench-live-'))
  tempRoot = root
  const stores: StoreSummary[] = []
  let chromiumVersion = 'Chromium ?'
  try {
    progress('launching headless Chromium')
    browser = await launchBrowser()
    chromiumVersion = `Chromium ${browser.version()}`
    const productsFile = writeProductsFile(root)
    for (const kind of options.stores) {
      let server: DatabaseServer
      try {
        server = await openServer(kind, root)
      } catch (error) {
        // Only PostgreSQL can be missing (not installed here); say so and bench the rest.
        const reason = (error as Error).message.split('\n')[0]!
        progress(`${kind}: skipped: ${reason}`)
        stores.push({ store: kind, label: kind === 'postgres' ? 'PostgreSQL' : 'PGlite', skipped: reason })
        continue
      }
      try {
        const database = await server.fresh()
        try {
          const run = await runStore(repoRoot, productsFile, database, browser, options, kind, signal)
          stores.push(summarizeStore({ store: kind, label: server.label }, run))
        } finally {
          await database.drop().catch((error) => progress(`cleanup: ${error}`))
        }
      } finally {
        await server.close()
      }
    }
  } finally {
    await browser?.close().catch(() => {})
    browser = undefined
    rmSync(root, { recursive: true, force: true })
    tempRoot = undefined
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

/** For paths that cannot wait (a signal, the backstop): kill the browser and children, stop our cluster, drop temp files. */
function shutdownNow(code: number): never {
  // Playwright kills the browsers it launched on exit as well; closing here is the polite first try.
  void browser?.close().catch(() => {})
  killAllChildren()
  stopClusterOnExit()
  if (tempRoot) rmSync(tempRoot, { recursive: true, force: true })
  process.exit(code)
}

process.once('SIGINT', () => shutdownNow(130))
process.once('SIGTERM', () => shutdownNow(143))
process.once('exit', killAllChildren)

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    const timedOut = error instanceof Error && error.name === 'TimeoutError'
    console.error(
      timedOut
        ? 'bench: stopped at the --timeout limit; nothing measured is reported'
        : `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    )
    shutdownNow(1)
  },
)
