// What the faults bench prints: one table of counts, the kills, the machine, and the command.
import { type Machine, quietPercent } from '../shared/machine'
import type { Kill } from './instances'
import type { FaultsOptions } from './options'
import type { ProxyStats } from './proxy'
import { type Counts, failed } from './verify'

export interface FaultsReport {
  options: FaultsOptions
  counts: Counts
  kills: Kill[]
  proxy: ProxyStats
  /** Counted log lines per instance. */
  serverLines: Array<Record<string, number>>
  /** Seconds from the first payment to the last payment's end, and to the end of the drain. */
  loadSeconds: number
  drainSeconds: number
  database: string
  machine: Machine
  /** How busy all cores were from the first payment to the end of the drain (everything on the machine). */
  busyDuringPercent?: number
  command: string
  startedAt: string
  seconds: number
}

const byKey = (record: Record<string, number>) =>
  Object.entries(record)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}: ${value}`)
    .join(', ') || 'none'

const busy = (percent: number | undefined) => (percent === undefined ? '?' : `${percent.toFixed(0)}%`)

export function formatReport(report: FaultsReport): string {
  const { counts: c, options: o } = report
  const n = c.notifications
  const w = c.webhook
  const mark = (bad: boolean) => (bad ? '  <-- FAIL' : '')
  const rows: Array<[string, string | number, string?]> = [
    [
      'payments attempted',
      c.attempted,
      `${o.rate}/s for ${o.durationSeconds} s, one user and one Idempotency-Key each`,
    ],
    [
      'orders created',
      c.ordersCreated,
      `${c.ordersFoundByRepeat} of them by a repeated POST /orders answered 200`,
    ],
    ['POST /orders repeats', c.createRetries, `repeated on: ${byKey(c.createRetriedOn)}`],
    ['creations given up', c.createGaveUp, 'the client stopped repeating; no order, no charge'],
    [
      'payment outcomes (user)',
      byKey(c.outcomes),
      'no_answer: no pre-checkout answer within 10 s, so Telegram took nothing',
    ],
    ['taken by Telegram', c.taken, "the simulator's Star transactions: money taken"],
    [
      'paid orders in DB',
      c.paidOrders,
      `${c.paymentRows} rows in tma_pay_payments${mark(c.paidOrders !== c.taken)}`,
    ],
    ['lost', c.lost, `taken, but the order is not paid or the charge not recorded${mark(c.lost > 0)}`],
    ['doubled', c.doubled, `two charges for one order, or two orders for one key${mark(c.doubled > 0)}`],
    ['paid without a charge', c.paidWithoutCharge, mark(c.paidWithoutCharge > 0)],
    [
      'order.paid notified',
      n.distinctPaid,
      `distinct event ids${mark(n.distinctPaid !== c.paidOrders || n.missing > 0 || n.doubled > 0)}`,
    ],
    ['  redelivered', n.redeliveries, 'the same id POSTed again (fine: receivers dedupe by id)'],
    ['  missing / doubled', `${n.missing} / ${n.doubled}`, mark(n.missing + n.doubled > 0)],
    ['  unexpected / rejected', `${n.unexpected} / ${n.rejected}`, mark(n.unexpected + n.rejected > 0)],
    ['  outbox jobs not done', n.outboxPending],
    ['webhook updates', w.updates, 'pre_checkout_query and successful_payment'],
    ['webhook deliveries', w.deliveries, `${w.redeliveries} of them redeliveries`],
    [
      '  failed attempts',
      Object.values(w.failedByStatus).reduce((a, b) => a + b, 0),
      `by status: ${byKey(w.failedByStatus)} (0 = connection cut)`,
    ],
    ['  given up / undelivered', `${w.gaveUp} / ${w.undelivered}`, mark(w.gaveUp + w.undelivered > 0)],
    [
      'proxy',
      report.proxy.forwarded.map((count, i) => `#${i + 1}: ${count}`).join(', '),
      `requests forwarded; 502s: ${report.proxy.badGateway.map((count, i) => `#${i + 1}: ${count}`).join(', ')}`,
    ],
    ...report.serverLines.map((lines, i): [string, string | number, string?] => [
      `instance ${i + 1} log lines`,
      lines.logged ?? 0,
      byKey(lines),
    ]),
  ]
  const width = Math.max(...rows.map(([label]) => label.length)) + 2
  const valueWidth = Math.max(...rows.map(([, value]) => String(value).length)) + 2
  const table = rows
    .map(([label, value, note]) =>
      `${label.padEnd(width)}${String(value)
        .padStart(valueWidth - 2)
        .padEnd(valueWidth)}${note ?? ''}`.trimEnd(),
    )
    .join('\n')
  const kills = report.kills
    .map(
      (kill) =>
        `instance ${kill.instance} (pid ${kill.pid}) SIGKILLed at ${kill.killedAt.toFixed(2)} s, ` +
        (kill.backAt !== undefined
          ? `listening again at ${kill.backAt.toFixed(2)} s`
          : `not restarted: ${kill.restartError ?? 'the run ended first'}`),
    )
    .join('\n')
  const m = report.machine
  const verdict = failed(c)
    ? 'FAIL: see the rows marked FAIL and the problems below'
    : 'PASS: every payment Telegram took is one paid order, notified once'
  return [
    `tma-pay faults bench: ${c.attempted} payments through 2 \`tma-pay serve\` instances behind a round-robin proxy, one PostgreSQL database`,
    '',
    table,
    '',
    kills,
    `load ${report.loadSeconds.toFixed(1)} s (first payment to last payment's end), drain ${report.drainSeconds.toFixed(1)} s, whole run ${report.seconds.toFixed(1)} s`,
    '',
    verdict,
    ...(c.problems.length ? ['', 'problems (first 20):', ...c.problems.map((line) => `  ${line}`)] : []),
    '',
    `database: ${report.database}`,
    `machine: Node ${m.node}, ${m.cpus} × ${m.cpuModel}, ${m.os}, ${m.memoryGiB} GiB; commit ${m.commit}`,
    `cores busy: ${busy(m.busyBeforePercent)} in the second before the run` +
      (m.busyBeforePercent !== undefined && m.busyBeforePercent > quietPercent
        ? ' (NOT QUIET: other work was running)'
        : '') +
      `, ${busy(report.busyDuringPercent)} from the first payment to the end of the drain`,
    `started ${report.startedAt}`,
    '',
    'reproduce:',
    `  ${report.command}`,
  ].join('\n')
}
