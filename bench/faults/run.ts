// The faults bench: payments at a steady rate through two `tma-pay serve` instances on one PostgreSQL
// database, behind a round-robin proxy that the Mini App's requests and Telegram's webhook both go
// through; one instance is SIGKILLed mid-run and started again on the same port. Then every payment the
// simulated Telegram took is checked against the database (paid, exactly once) and against the
// notifications the app's backend received (one order.paid event per paid order).
//
// Loopback only; bounded in payments and in time (--timeout). It stops its children, the proxy and the
// PostgreSQL cluster it started on every way out. Results go to stdout, progress to stderr; nothing is
// written into the repository (temp files live in the OS temp dir and are removed).
//
//   npx tsx bench/faults/run.ts [--rate 20] [--duration 20] [--kill-at 8] [--down 2]
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import { createTelegramSimulator, type TelegramSimulator } from '../../src/testing/index'
import { machineBusyCpuMs } from '../shared/cpu'
import { type DatabaseServer, postgresServer } from '../shared/databases'
import { makeTempRoot, runBench } from '../shared/lifecycle'
import { busyBeforeStart, describeMachine } from '../shared/machine'
import { freePort } from '../shared/processes'
import { writeProductsFile } from '../shared/product'
import { progress } from '../shared/progress'
import { Instance, type Kill } from './instances'
import { type PaymentAttempt, runLoad } from './load'
import { type FaultsOptions, parseOptions, reproduceCommand, usage } from './options'
import { type BalancingProxy, startProxy } from './proxy'
import { type NotifyReceiver, startReceiver } from './receiver'
import { type FaultsReport, formatReport } from './report'
import { failed, reckon } from './verify'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const basePath = '/api/pay'

/**
 * Telegram redelivers a failed update with growing delays; these are shorter than Telegram's so the run stays
 * short, and there are enough of them (1 s apart past the first few) to outlast the run: an update is
 * redelivered until it is taken, and one that never is shows up as undelivered at the end.
 */
function retryDelays(timeoutSeconds: number): number[] {
  return [50, 100, 200, 400, 800, ...Array.from({ length: timeoutSeconds + 60 }, () => 1000)]
}

/** Updates the simulated Telegram still holds for the bot, as getWebhookInfo reports them. */
async function pendingUpdates(sim: TelegramSimulator): Promise<number> {
  const response = await fetch(`${sim.url}/bot${sim.botToken}/getWebhookInfo`)
  const body = (await response.json()) as { result?: { pending_update_count?: number } }
  return body.result?.pending_update_count ?? -1
}

/**
 * After the load: waits for Telegram to have delivered every update (its retries included), then for the
 * notifications to drain: no outbox job left undone and no new POST at the receiver for a second.
 */
async function drain(
  sim: TelegramSimulator,
  sql: postgres.Sql,
  receiver: NotifyReceiver,
  deadline: number,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const idle = await Promise.race([
    sim.idle().then(() => true),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()))
    }),
  ])
  clearTimeout(timer)
  if (!idle) progress('Telegram still had updates to deliver at the drain deadline')
  let lastPosts = -1
  let stableSince = Date.now()
  let lastReport = 0
  while (Date.now() < deadline) {
    const [row] = await sql<{ n: string }[]>`select count(*) as n from tma_pay_outbox where done_at is null`
    const pending = Number(row?.n ?? 0)
    const posts = receiver.posts()
    if (posts !== lastPosts) {
      lastPosts = posts
      stableSince = Date.now()
    }
    if (pending === 0 && Date.now() - stableSince >= 1000) return
    if (pending > 0 && Date.now() - lastReport > 10_000) {
      lastReport = Date.now()
      progress(`waiting for ${pending} outbox job(s) (a job the killed instance held waits out its lease)`)
    }
    await sleep(200)
  }
  progress('notifications still pending at the drain deadline')
}

/**
 * A few signed reads from each instance straight (not through the proxy), so the load does not meet cold
 * processes: the first requests of a fresh Node process are compiled as they come and can take seconds on 2 cores.
 */
async function warmUp(instances: Instance[], sim: TelegramSimulator): Promise<void> {
  const authorization = `tma ${sim.signInitData(1_000_000)}`
  for (const instance of instances)
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`http://127.0.0.1:${instance.port}${basePath}/orders?limit=1`, {
        headers: { authorization },
      })
      if (response.status !== 200)
        throw new Error(
          `warm-up: instance ${instance.number} answered ${response.status}: ${await response.text()}`,
        )
    }
}

interface Running {
  root: { path: string; remove(): void }
  server?: DatabaseServer
  dropDatabase?: () => Promise<void>
  sim?: TelegramSimulator
  receiver?: NotifyReceiver
  proxy?: BalancingProxy
  instances: Instance[]
  sql?: postgres.Sql
}

async function cleanUp(running: Running) {
  const steps: Array<[string, (() => Promise<unknown>) | undefined]> = [
    ['instances', () => Promise.all(running.instances.map((instance) => instance.stop()))],
    ['database client', running.sql && (() => running.sql!.end({ timeout: 5 }))],
    ['proxy', running.proxy && (() => running.proxy!.close())],
    ['receiver', running.receiver && (() => running.receiver!.close())],
    ['simulator', running.sim && (() => running.sim!.close())],
    ['database', running.dropDatabase],
    ['PostgreSQL', running.server && (() => running.server!.close())],
  ]
  for (const [name, step] of steps) {
    if (!step) continue
    const started = performance.now()
    await step().catch((error: unknown) => progress(`cleanup of the ${name}: ${error}`))
    const ms = performance.now() - started
    if (ms > 2000) progress(`cleanup of the ${name} took ${(ms / 1000).toFixed(1)} s`)
  }
  running.root.remove()
}

async function bench(
  options: FaultsOptions,
  running: Running,
  signal: AbortSignal,
  busyBefore: number | undefined,
): Promise<FaultsReport> {
  const startedAt = new Date()
  const productsFile = writeProductsFile(running.root.path)
  progress(
    process.env.TMA_PAY_BENCH_DATABASE_URL
      ? 'using TMA_PAY_BENCH_DATABASE_URL'
      : 'starting a throwaway PostgreSQL cluster',
  )
  running.server = await postgresServer(running.root.path, repoRoot)
  const database = await running.server.fresh()
  running.dropDatabase = () => database.drop()
  running.sql = postgres(database.spec, { max: 2, onnotice: () => {} })

  running.sim = await createTelegramSimulator({
    recordDir: false,
    retryDelaysMs: retryDelays(options.timeoutSeconds),
  })
  const sim = running.sim
  const notifySecret = randomBytes(24).toString('base64url')
  running.receiver = await startReceiver(notifySecret)
  const ports = [await freePort(), await freePort()]
  if (ports[0] === ports[1]) ports[1] = await freePort()
  running.proxy = await startProxy(ports)
  const proxy = running.proxy
  const config = {
    repoRoot,
    productsFile,
    store: database.spec,
    botToken: sim.botToken,
    apiRoot: sim.url,
    webhookSecret: randomBytes(24).toString('base64url'),
    publicUrl: proxy.origin,
    notify: { url: running.receiver.url, secret: notifySecret },
  }
  running.instances = ports.map((port, index) => new Instance(index + 1, port, config))
  progress(`starting 2 tma-pay serve instances (ports ${ports.join(', ')}) behind the proxy ${proxy.origin}`)
  await Promise.all(running.instances.map((instance) => instance.start()))
  const webhookUrl = `${proxy.origin}${basePath}/telegram/webhook`
  if (sim.webhook?.url !== webhookUrl)
    throw new Error(`the instances set the webhook to ${sim.webhook?.url}, not ${webhookUrl}`)

  await warmUp(running.instances, sim)

  const count = Math.round(options.rate * options.durationSeconds)
  progress(
    `${count} payments at ${options.rate}/s; SIGKILL at ${options.killAtSeconds.map((s) => `${s} s`).join(', ')}, ` +
      `down ${options.downSeconds} s each`,
  )
  const machineCpuBefore = machineBusyCpuMs()
  const loadStarted = performance.now()
  const elapsed = () => (performance.now() - loadStarted) / 1000
  const kills: Kill[] = []
  // One kill at a time, in order: a kill due while the previous victim is still restarting waits for it, so one
  // instance is always up (the bench is about a crash behind a balancer, not about an outage of the whole service).
  const killing = (async () => {
    for (const [k, at] of options.killAtSeconds.entries()) {
      await sleep(Math.max(0, at - elapsed()) * 1000)
      const instance = running.instances[k % running.instances.length]!
      const kill: Kill = { instance: instance.number, pid: instance.pid ?? 0, killedAt: elapsed() }
      kills.push(kill)
      await instance.kill()
      progress(`instance ${instance.number} (pid ${kill.pid}) SIGKILLed at ${kill.killedAt.toFixed(2)} s`)
      await sleep(options.downSeconds * 1000)
      try {
        await instance.start()
        kill.backAt = elapsed()
        progress(
          `instance ${instance.number} listening again at ${kill.backAt.toFixed(2)} s (pid ${instance.pid})`,
        )
      } catch (error) {
        kill.restartError = (error as Error).message.split('\n')[0]
        progress(`instance ${instance.number} did not restart: ${kill.restartError}`)
        return
      }
    }
  })()
  const attempts: PaymentAttempt[] = await runLoad(
    `${proxy.origin}${basePath}`,
    sim,
    options.rate,
    count,
    signal,
  )
  await killing
  const loadSeconds = elapsed()
  progress(`load done at ${loadSeconds.toFixed(1)} s; waiting for redeliveries and notifications`)
  await drain(sim, running.sql, running.receiver, Date.now() + options.drainTimeoutSeconds * 1000)
  const drainSeconds = elapsed() - loadSeconds
  const machineCpuAfter = machineBusyCpuMs()
  const counts = await reckon(running.sql, sim, running.receiver, attempts, await pendingUpdates(sim))
  return {
    options,
    counts,
    kills,
    proxy: proxy.stats,
    serverLines: running.instances.map((instance) => instance.counts()),
    loadSeconds,
    drainSeconds,
    database: running.server.label.replace('; a fresh database per server', '; a fresh database'),
    machine: describeMachine(repoRoot, busyBefore),
    ...(machineCpuBefore !== undefined && machineCpuAfter !== undefined
      ? {
          busyDuringPercent:
            ((machineCpuAfter - machineCpuBefore) / (elapsed() * 1000 * cpus().length)) * 100,
        }
      : {}),
    command: reproduceCommand(options, process.env.TMA_PAY_BENCH_DATABASE_URL),
    startedAt: startedAt.toISOString(),
    seconds: (Date.now() - startedAt.getTime()) / 1000,
  }
}

async function main(options: FaultsOptions, signal: AbortSignal): Promise<number> {
  // Timing decides some outcomes (a pre-checkout answered past Telegram's 10 s, a client's timeout): say how busy the
  // machine was before the run, so a run next to a test suite is read as such.
  const busyBefore = await busyBeforeStart(': timeouts will be likelier')
  const running: Running = { root: makeTempRoot('tma-pay-faults-'), instances: [] }
  let report: FaultsReport
  try {
    report = await Promise.race([
      bench(options, running, signal, busyBefore),
      new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    ])
  } catch (error) {
    for (const instance of running.instances)
      for (const tail of instance.tails()) progress(`instance ${instance.number}'s last lines:\n${tail}`)
    throw error
  } finally {
    await cleanUp(running)
  }
  console.log(formatReport(report))
  if (options.json) writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`)
  if (!failed(report.counts)) return 0
  // What the servers said last, to start the search for the cause from.
  for (const instance of running.instances)
    instance.tails().forEach((tail, life) => {
      progress(`instance ${instance.number}, life ${life + 1}, last lines:\n${tail}`)
    })
  return 1
}

runBench({ parse: parseOptions, usage, timedOut: 'nothing is reported', main })
