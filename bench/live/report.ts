// What the live bench prints (and writes with --json): per store, live and poll side by side.
import { type ProfileSummary, profileLines } from '../shared/cpu-profile'
import { busyBeforeLines, type Machine } from '../shared/machine'
import { percentile } from '../shared/stats'
import type { LiveOptions, StoreKindLabel } from './options'
import type { WatchMode } from './page'
import type { Sample, StoreRun } from './payments'

export interface ModeSummary {
  mode: WatchMode
  n: number
  p50: number
  p95: number
  max: number
  /** The same, counted from the delivery's recorded `at` (taken when the attempt ended, to the ms). */
  fromAt: { p50: number; p95: number }
  /** pre_checkout_query sent → answered (the server's other webhook, for comparison); successful_payment sent →
   * its 2xx; sent → the paid order passed the proxy; proxy → page. */
  parts: Record<'preCheckout' | 'webhook' | 'toProxy' | 'proxyToPage', { p50: number; p95: number }>
  /** The latency counted from the simulator's fetch() call instead of its request on the wire. */
  fromFetch: { p50: number; p95: number }
  /** fetch() called → the request on the wire: the sender's own work. */
  fetchToWire: { p50: number; p95: number }
  /** Payments whose first answer (the stream's first event) came only after successful_payment was sent. */
  lateStarts: number
  /** Stream events, or polls, per payment: the median. */
  answers: number
}

export interface StoreSummary extends StoreKindLabel {
  skipped?: string
  modes?: Record<WatchMode, ModeSummary>
  errors?: string[]
  clock?: { maxOffsetDriftMs: number; maxUncertaintyMs: number }
  serverLogLines?: number
  scriptBytes?: number
  busyPercent?: number
  serverCpuMs?: number
  /** Under --cpu-prof: the server's profile over the live payments' way (sent -> proxy), and how busy it was. */
  profile?: ProfileSummary & { file: string; busyPercent: number }
  samples?: Sample[]
}

export interface LiveReport {
  options: LiveOptions
  stores: StoreSummary[]
  machine: Machine & { chromium: string; loadAverage: number[] }
  command: string
  startedAt: string
  seconds: number
}

const spread = (values: number[]) => ({ p50: percentile(values, 50), p95: percentile(values, 95) })
const defined = (values: Array<number | undefined>) => values.filter((v): v is number => v !== undefined)

function summarizeMode(samples: Sample[], mode: WatchMode): ModeSummary {
  const mine = samples.filter((s) => s.mode === mode && !s.warmup && s.latencyMs !== undefined)
  const latencies = mine.map((s) => s.latencyMs!)
  return {
    mode,
    n: mine.length,
    ...spread(latencies),
    max: latencies.length ? Math.max(...latencies) : Number.NaN,
    fromAt: spread(
      defined(mine.map((s) => (s.deliveryAt === undefined ? undefined : s.seenAt! - s.deliveryAt))),
    ),
    parts: {
      preCheckout: spread(
        defined(mine.map((s) => (s.preCheckoutAt === undefined ? undefined : s.sentAt! - s.preCheckoutAt))),
      ),
      webhook: spread(
        defined(
          mine.map((s) => (s.answeredAt === undefined ? undefined : s.answeredAt - (s.wireAt ?? s.sentAt!))),
        ),
      ),
      toProxy: spread(
        defined(mine.map((s) => (s.proxyAt === undefined ? undefined : s.proxyAt - (s.wireAt ?? s.sentAt!)))),
      ),
      proxyToPage: spread(
        defined(mine.map((s) => (s.proxyAt === undefined ? undefined : s.seenAt! - s.proxyAt))),
      ),
    },
    fromFetch: spread(defined(mine.map((s) => (s.sentAt === undefined ? undefined : s.seenAt! - s.sentAt)))),
    fetchToWire: spread(
      defined(
        mine.map((s) => (s.wireAt === undefined || s.sentAt === undefined ? undefined : s.wireAt - s.sentAt)),
      ),
    ),
    lateStarts: mine.filter((s) => s.firstAnswerAt === undefined || s.firstAnswerAt > s.sentAt!).length,
    answers: percentile(
      mine.map((s) => s.answers),
      50,
    ),
  }
}

export function summarizeStore(base: StoreKindLabel, run: StoreRun): StoreSummary {
  const offsets = run.clocks.map((c) => c.offsetMs)
  return {
    ...base,
    modes: { live: summarizeMode(run.samples, 'live'), poll: summarizeMode(run.samples, 'poll') },
    errors: run.samples.filter((s) => s.error).map((s) => `#${s.index} ${s.mode} ${s.orderId}: ${s.error}`),
    // Each lane's page clock measured at the start and at the end: drift between the two moves every figure.
    clock: {
      maxOffsetDriftMs: Math.max(
        ...offsets.slice(0, offsets.length / 2).map((o, i) => Math.abs(o - offsets[i + offsets.length / 2]!)),
      ),
      maxUncertaintyMs: Math.max(...run.clocks.map((c) => c.uncertaintyMs)),
    },
    serverLogLines: run.serverLogLines,
    scriptBytes: run.scriptBytes,
    ...(run.busyPercent !== undefined ? { busyPercent: run.busyPercent } : {}),
    ...(run.serverCpuMs !== undefined ? { serverCpuMs: run.serverCpuMs } : {}),
    samples: run.samples,
  }
}

function ms(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-'
  return Math.abs(value) < 10 ? value.toFixed(2) : Math.abs(value) < 100 ? value.toFixed(1) : value.toFixed(0)
}

const widths = [8, 5, 9, 9, 9, 20, 10]
const row = (...cells: string[]) =>
  cells
    .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
    .join('  ')
    .trimEnd()

/** The live p95 bound of issue 14 (50 ms when the stream was new), and the stream's speed-up over polling. */
export const targets = { liveP95Ms: 10, speedup: 10 }

function storeLines(summary: StoreSummary): string[] {
  const lines = [summary.label]
  if (summary.skipped) return [...lines, `  skipped: ${summary.skipped}`]
  const { live, poll } = summary.modes!
  lines.push(
    row('mode', 'n', 'p50 ms', 'p95 ms', 'max ms', 'from `at` p50/p95', 'answers'),
    ...[live, poll].map((m) =>
      row(
        m.mode,
        String(m.n),
        ms(m.p50),
        ms(m.p95),
        ms(m.max),
        `${ms(m.fromAt.p50)} / ${ms(m.fromAt.p95)}`,
        String(m.answers),
      ),
    ),
  )
  const speedup = poll.p95 / live.p95
  const liveOk = live.p95 <= targets.liveP95Ms
  const speedOk = speedup >= targets.speedup
  lines.push(
    `poll p95 / live p95: ${Number.isFinite(speedup) ? `${speedup.toFixed(0)}x` : '-'}` +
      `   targets: live p95 <= ${targets.liveP95Ms} ms ${liveOk ? 'MET' : 'MISSED'}, ` +
      `>= ${targets.speedup}x ${speedOk ? 'MET' : 'MISSED'}`,
  )
  const part = (name: string, p: { p50: number; p95: number }) =>
    `  ${name.padEnd(76)}${`${ms(p.p50)} / ${ms(p.p95)}`.padStart(16)}`
  lines.push(
    'live, where the time goes (p50 / p95 ms):',
    part(
      "the simulator's fetch() called -> its request on the wire (the sender's own work)",
      live.fetchToWire,
    ),
    part('the latency counted from that fetch() call instead', live.fromFetch),
    part(
      'successful_payment sent -> its 2xx (the order is paid in the database by then)',
      live.parts.webhook,
    ),
    ...(Number.isNaN(live.parts.toProxy.p50)
      ? ['  (no proxy between the server and the page with --api direct: --api proxy splits the rest)']
      : [
          part("successful_payment sent -> the paid event passes the page's proxy", live.parts.toProxy),
          part('the proxy -> the page holds the order paid', live.parts.proxyToPage),
        ]),
    part('for comparison, the other webhook: pre_checkout_query sent -> its answer', live.parts.preCheckout),
  )
  if (live.lateStarts > 0)
    lines.push(
      `  ! ${live.lateStarts} live payment(s): the stream's first event came after the payment was sent`,
    )
  const clock = summary.clock!
  lines.push(
    `page clock vs bench: measured to +-${ms(clock.maxUncertaintyMs)} ms, drift over the run ${ms(clock.maxOffsetDriftMs)} ms;` +
      ` page script ${((summary.scriptBytes ?? 0) / 1024).toFixed(1)} KiB; server warning/error log lines ${summary.serverLogLines}`,
  )
  if (summary.busyPercent !== undefined)
    lines.push(
      `while it ran: all cores ${summary.busyPercent.toFixed(0)}% busy (the bench, Chromium, the server, anything else);` +
        ` server CPU ${ms(summary.serverCpuMs)} ms per payment`,
    )
  if (summary.profile)
    lines.push(
      `the server was busy ${summary.profile.busyPercent.toFixed(0)}% of the time live payments were on their way` +
        ' (successful_payment sent -> the paid event passed the proxy); its CPU then, per live payment:',
      ...profileLines(`  profile ${summary.profile.file}`, summary.profile, 20),
    )
  lines.push(`payments failed: ${summary.errors!.length}`)
  for (const error of summary.errors!.slice(0, 5)) lines.push(`  ! ${error}`)
  return lines
}

export function formatReport(report: LiveReport): string {
  const { options, machine } = report
  const lines = [
    `tma-pay live bench: successful_payment sent by the Telegram simulator -> headless Chromium sees the order paid.`,
    `Per store: ${options.warmup} warm-up payments (not counted), then ${options.payments} live + ${options.payments} poll,` +
      ` interleaved, ${options.concurrency} in flight; the user pays ${options.minWaitMs}-${options.maxWaitMs} ms (random) after the page starts watching.`,
    '',
  ]
  for (const store of report.stores) lines.push(...storeLines(store), '')
  lines.push(
    'live: client.watchOrder (GET /orders/:id/stream, Server-Sent Events). poll: client.getOrder at once, then after',
    '      1 s, growing x1.5 to 5 s, as useOrder does without a stream. Latency = the page first holds the order paid',
    "      (its clock mapped onto the bench's) - the simulator's successful_payment POST went out (its first attempt's",
    '      request written to the socket; counted from its fetch() call, too).',
    '      "from `at`": the same counted from the delivery\'s recorded `at`, which the simulator takes when the attempt',
    '      ended (after the 2xx), to the ms: it starts later, so it reads lower. answers = median stream events / polls.',
    "      `tma-pay serve` is a child process; the page's origin proxies /api/pay to it (it answers no CORS). See bench/README.md.",
    '',
    `machine: node ${machine.node}, ${machine.chromium}, ${machine.cpus} CPUs (${machine.availableParallelism} available), ` +
      `${machine.cpuModel}, ${machine.os}, ${machine.memoryGiB} GiB`,
    `commit:  ${machine.commit}`,
    `load:    ${machine.loadAverage.map((l) => l.toFixed(1)).join(' ')} (1, 5, 15 min load average at the start)`,
    ...busyBeforeLines(machine),
    `took:    ${report.seconds.toFixed(0)} s`,
    `reproduce (from the repository root): ${report.command}`,
  )
  return lines.join('\n')
}
