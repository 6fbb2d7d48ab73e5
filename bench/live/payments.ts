// One store's run: `tma-pay serve` on the Telegram simulator, the page's origin in front of it, and lanes of
// browser contexts paying and watching, live and poll interleaved.
import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { cpus } from 'node:os'
import { join, resolve } from 'node:path'
import type { Browser } from 'playwright-core'
import type { Order } from '../../src/core'
import { withCleanups } from '../shared/cleanups'
import { machineBusyCpuMs, processCpuMs } from '../shared/cpu'
import { cpuProfFlags } from '../shared/cpu-profile'
import type { Database } from '../shared/databases'
import { benchProduct } from '../shared/product'
import { progress } from '../shared/progress'
import { startServeOnSimulator } from '../shared/serve'
import { type ClockOffset, type Lane, openLane } from './browser'
import type { LiveOptions } from './options'
import type { WatchMode, WatchResult } from './page'
import { type Site, startSite } from './site'

/** One payment, every time on the bench's clock (ms, sub-ms resolution). */
export interface Sample {
  index: number
  mode: WatchMode
  orderId: string
  warmup: boolean
  /** The user's pause between the browser starting to watch and paying. */
  waitMs: number
  /** The simulator's pre_checkout_query POST went out; the answer came back at sentAt (the simulator sends
   * successful_payment in the same tick chain as it takes the answer). */
  preCheckoutAt?: number
  /** The page's first answer: the stream's first event, or the first poll's. */
  firstAnswerAt?: number
  /** The simulator called fetch for its successful_payment POST (its first attempt). */
  sentAt?: number
  /** That request was written to its socket: sent. */
  wireAt?: number
  /** Its 2xx came back: the order is paid in the database by then. */
  answeredAt?: number
  /** The delivery's `at` as the simulator records it (ms resolution; taken when the attempt ended). */
  deliveryAt?: number
  /** A response holding the order as paid passed the page's proxy. */
  proxyAt?: number
  /** The page first held the order as paid. */
  seenAt?: number
  /** seenAt − wireAt (else − sentAt): the figure. */
  latencyMs?: number
  /** Stream events received, or polls answered. */
  answers: number
  error?: string
}

export interface StoreRun {
  samples: Sample[]
  /** The page clock's offsets from the bench's, per lane, at the start and the end. */
  clocks: ClockOffset[]
  serverLogLines: number
  scriptBytes: number
  /** How busy all cores were while the payments ran (other work on the machine disturbs every figure). */
  busyPercent?: number
  /** CPU ms per payment of the `tma-pay serve` child. */
  serverCpuMs?: number
  /** Under --cpu-prof: where the server's profile is written once it has stopped. */
  profileDir?: string
}

/** mulberry32: a small seeded generator, so the users' pauses repeat with --seed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Live and poll in ABBA order, so neither always goes first. */
export const modeOf = (index: number): WatchMode => (index % 4 === 0 || index % 4 === 3 ? 'live' : 'poll')

export function runStore(
  repoRoot: string,
  productsFile: string,
  store: Database,
  browser: Browser,
  options: LiveOptions,
  label: string,
  signal: AbortSignal,
): Promise<StoreRun> {
  return withCleanups(async (defer) => {
    progress(`${label}: starting tma-pay serve`)
    let profileDir: string | undefined
    if (options.cpuProf) {
      mkdirSync(options.cpuProf, { recursive: true })
      profileDir = mkdtempSync(join(resolve(options.cpuProf), `${label}-`))
    }
    const node = [process.execPath, ...(profileDir ? cpuProfFlags(profileDir) : [])]
    const site: Site = await startSite()
    defer(() => site.close())
    // The page's origin may call the server (--api direct); with --api proxy it goes through the site instead.
    const cors = ['--cors-origin', new URL(site.url).origin]
    const served = await startServeOnSimulator(repoRoot, productsFile, store, node, cors)
    defer(() => served.stop())
    const { sim, server, apiUrl, tap } = served
    if (options.api === 'proxy') site.proxyTo(apiUrl)
    const pageApiUrl = options.api === 'proxy' ? '/api/pay' : apiUrl
    progress(`${label}: ${options.concurrency} browser contexts on ${site.url}`)
    const lanes: Lane[] = []
    for (let i = 0; i < options.concurrency; i++) {
      const lane = await openLane(browser, site.url)
      defer(() => lane.close())
      lanes.push(lane)
    }

    const random = seeded(options.seed)
    const total = options.warmup + 2 * options.payments
    const pauses = Array.from(
      { length: total },
      () => options.minWaitMs + random() * (options.maxWaitMs - options.minWaitMs),
    )
    const samples: Sample[] = []
    let next = 0
    let done = 0

    const payOne = async (lane: Lane, index: number): Promise<Sample> => {
      const mode = modeOf(index)
      // A user of their own per payment: tma-pay's per-user rate limit (30 orders a minute) is never met.
      const userId = 3_000_000 + index
      const initData = sim.signInitData(userId)
      const sample: Sample = {
        index,
        mode,
        orderId: '',
        warmup: index < options.warmup,
        waitMs: pauses[index]!,
        answers: 0,
      }
      const response = await fetch(`${apiUrl}/orders`, {
        method: 'POST',
        headers: {
          authorization: `tma ${initData}`,
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
        },
        body: JSON.stringify({ productId: benchProduct.id }),
        signal: AbortSignal.any([signal, AbortSignal.timeout(30_000)]),
      })
      const body = await response.text()
      if (response.status !== 201) throw new Error(`POST /orders answered ${response.status}: ${body}`)
      const order = JSON.parse(body) as Order
      sample.orderId = order.id
      // The browser watches from now on; its promise is settled into the sample, never left rejected.
      const boundMs = options.boundSeconds * 1000 + options.maxWaitMs + 5000
      const watching = lane
        .watch(order.id, initData, mode, boundMs, pageApiUrl)
        .catch((error: unknown): WatchResult => ({ answers: 0, error: `page: ${String(error)}` }))
      await new Promise((resolve) => setTimeout(resolve, sample.waitMs))
      const payment = await sim.pay(order.invoiceUrl, { userId })
      if (payment.outcome !== 'paid') sample.error = `the simulator's payment ended ${payment.outcome}`
      const times = tap.take(order.id)
      const delivery = sim.deliveries.find(
        (d) => d.attempt === 1 && d.update.message?.successful_payment?.invoice_payload === order.id,
      )
      if (times?.preCheckoutSent !== undefined)
        sample.preCheckoutAt = performance.timeOrigin + times.preCheckoutSent
      if (times?.paymentSent !== undefined) sample.sentAt = performance.timeOrigin + times.paymentSent
      if (times?.paymentOnWire !== undefined) sample.wireAt = performance.timeOrigin + times.paymentOnWire
      if (times?.paymentAnswered !== undefined)
        sample.answeredAt = performance.timeOrigin + times.paymentAnswered
      if (delivery) sample.deliveryAt = Date.parse(delivery.at)
      if (delivery && (delivery.status < 200 || delivery.status >= 300))
        sample.error ??= `successful_payment answered ${delivery.status} ${delivery.error ?? ''}`
      const result = await watching
      sample.answers = result.answers
      sample.proxyAt = site.takePaidPassed(order.id)
      if (result.firstAnswerAt !== undefined) sample.firstAnswerAt = result.firstAnswerAt
      if (result.paidSeenAt !== undefined) sample.seenAt = result.paidSeenAt
      const sent = sample.wireAt ?? sample.sentAt
      if (sample.seenAt !== undefined && sent !== undefined) sample.latencyMs = sample.seenAt - sent
      if (result.error) sample.error ??= result.error
      if (sample.seenAt === undefined)
        sample.error ??= `the page never saw ${order.id} paid (last status ${result.status ?? 'none'})`
      else if (sample.latencyMs !== undefined && sample.latencyMs > options.boundSeconds * 1000)
        sample.error ??= `seen paid ${(sample.latencyMs / 1000).toFixed(1)} s after payment, past --bound`
      return sample
    }

    const runLane = async (lane: Lane) => {
      for (let index = next++; index < total; index = next++) {
        signal.throwIfAborted()
        const sample = await payOne(lane, index).catch(
          (error: unknown): Sample => ({
            index,
            mode: modeOf(index),
            orderId: '',
            warmup: index < options.warmup,
            waitMs: pauses[index]!,
            answers: 0,
            error: String(error),
          }),
        )
        samples.push(sample)
        done++
        if (done % 10 === 0 || done === total)
          progress(`${label}: ${done}/${total} payments (${options.warmup} warm-up)`)
      }
    }
    progress(`${label}: ${total} payments, ${options.concurrency} at a time`)
    const busyStart = machineBusyCpuMs()
    const serverStart = processCpuMs(server.pid)
    const wallStart = performance.now()
    await Promise.all(lanes.map(runLane))
    const wallMs = performance.now() - wallStart
    const busyEnd = machineBusyCpuMs()
    const serverEnd = processCpuMs(server.pid)
    const clocks = [
      ...lanes.map((lane) => lane.clock),
      ...(await Promise.all(lanes.map((l) => l.recheckClock()))),
    ]
    return {
      samples: samples.sort((a, b) => a.index - b.index),
      clocks,
      serverLogLines: server.counts().logged ?? 0,
      ...(busyStart !== undefined && busyEnd !== undefined
        ? { busyPercent: ((busyEnd - busyStart) / (wallMs * cpus().length)) * 100 }
        : {}),
      ...(serverStart !== undefined && serverEnd !== undefined
        ? { serverCpuMs: (serverEnd - serverStart) / total }
        : {}),
      scriptBytes: site.scriptBytes,
      ...(profileDir ? { profileDir } : {}),
    }
  })
}
