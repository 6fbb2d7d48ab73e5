// The memory bench: `tma-pay serve` holding --streams open order streams while --payments payments run, on
// PGlite and PostgreSQL, over 127.0.0.1 only. It reads the server's RSS before and after the streams open (the
// memory per stream) and after each --at payments (it must not keep growing). Bounded in work and in time.
//
//   npx tsx bench/memory/run.ts [--streams 1000] [--payments 10000] [--at 1000,5000,10000] [--json FILE]
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { runRound } from '../server/load'
import { simulatorTarget } from '../server/sim-target'
import { withCleanups } from '../shared/cleanups'
import type { DatabaseServer } from '../shared/databases'
import { runBench } from '../shared/lifecycle'
import { describeMachine } from '../shared/machine'
import { progress } from '../shared/progress'
import { startServeOnSimulator } from '../shared/serve'
import { benchEachStore } from '../shared/stores'
import { type MemoryOptions, parseOptions, reproduceCommand, usage } from './options'
import { formatReport, type MemoryReport, type StoreMemory } from './report'
import { createOrders, openStreams } from './streams'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

/** The process's resident set in MiB (Linux /proc). */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1])
  return kib / 1024
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function benchStore(
  server: DatabaseServer,
  options: MemoryOptions,
  productsFile: string,
  signal: AbortSignal,
): Promise<StoreMemory> {
  return withCleanups(async (defer) => {
    const db = await server.fresh()
    defer(() => db.drop())
    progress(`${server.kind}: starting tma-pay serve`)
    const served = await startServeOnSimulator(repoRoot, productsFile, db)
    defer(() => served.stop())
    const pid = served.server.pid
    const target = simulatorTarget('tma-pay', {
      ...served,
      pid,
      serverErrors: () => served.server.counts().logged ?? 0,
    })
    // Each reading after a second's rest, so a request still finishing does not count.
    const rss = async () => {
      await pause(1000)
      return rssMiB(pid)
    }
    const started = await rss()
    progress(`${server.kind}: ${options.warmup} warm-up payments`)
    const warm = await runRound(target, 0, options.warmup, options.concurrency, signal)
    if (warm.errors.length) throw new Error(`warm-up failed: ${warm.errors[0]}`)
    const warmed = await rss()
    progress(`${server.kind}: ${options.streams} orders to watch`)
    const orders = await createOrders(served.apiUrl, served.sim, options.streams)
    const ordersMade = await rss()
    progress(`${server.kind}: opening ${options.streams} streams`)
    const streams = await openStreams(served.apiUrl, served.sim, orders)
    defer(() => streams.close())
    const streamsOpen = await rss()
    const checkpoints: StoreMemory['checkpoints'] = []
    const errors: string[] = []
    let done = 0
    for (const at of options.at) {
      const round = await runRound(target, options.warmup + done, at - done, options.concurrency, signal)
      done = at
      errors.push(...round.errors)
      checkpoints.push({
        payments: at,
        rssMiB: await rss(),
        paymentsPerSecond: round.paymentsPerSecond,
        openStreams: streams.open(),
      })
      progress(
        `${server.kind}: ${at} payments, RSS ${checkpoints.at(-1)!.rssMiB.toFixed(0)} MiB, ` +
          `${round.paymentsPerSecond.toFixed(0)}/s, ${streams.open()} streams open`,
      )
      if (errors.length) break
    }
    const openAtEnd = streams.open()
    const heartbeats = streams.heartbeats()
    streams.close()
    const streamsClosed = await rss()
    return {
      store: server.kind,
      label: server.label,
      startedMiB: started,
      warmedMiB: warmed,
      ordersMadeMiB: ordersMade,
      streamsOpenMiB: streamsOpen,
      streamsClosedMiB: streamsClosed,
      checkpoints,
      openAtEnd,
      heartbeats,
      errors,
      serverLogLines: served.server.counts().logged ?? 0,
    }
  })
}

async function main(options: MemoryOptions, signal: AbortSignal): Promise<number> {
  const startedAt = new Date()
  const { stores, busyBefore } = await benchEachStore(
    options.stores,
    'tma-pay-bench-memory-',
    repoRoot,
    (server, productsFile) => benchStore(server, options, productsFile, signal),
  )
  const report: MemoryReport = {
    options,
    stores,
    machine: describeMachine(repoRoot, busyBefore),
    command: reproduceCommand(options, process.env.TMA_PAY_BENCH_DATABASE_URL),
    seconds: (Date.now() - startedAt.getTime()) / 1000,
  }
  console.log(formatReport(report))
  if (options.json) writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`)
  const failed = stores.some(
    (store) => 'errors' in store && (store.errors.length > 0 || store.openAtEnd < options.streams),
  )
  return failed ? 1 : 0
}

runBench({ parse: parseOptions, usage, timedOut: 'nothing measured is reported', main })
