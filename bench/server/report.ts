// What the bench prints (and writes with --json): per store, tma-pay and the baseline side by side.

import type { StoreKind } from '../shared/flags'
import { busyBeforeLines, type Machine } from '../shared/machine'
import type { Spread } from '../shared/stats'
import type { StepName } from './load'
import type { BenchOptions } from './options'

export interface TargetSummary {
  target: 'tma-pay' | 'baseline'
  /** Measured payments that completed, over all rounds. */
  payments: number
  /** Median over the rounds. */
  paymentsPerSecond: number
  roundsPaymentsPerSecond: number[]
  /** In ms: the median over the rounds of each round's p50, and of each round's p99. */
  steps: Record<StepName, Spread>
  roundsSteps: Array<Record<StepName, Spread>>
  errors: string[]
  /** Warning and error lines the server logged. */
  serverLogLines: number
  /** CPU ms per measured payment: the server process, this process (client + simulator), the rest of the machine
   * (PostgreSQL, the OS); and how busy all cores were. Undefined where /proc is missing. */
  cpu: { server?: number; bench: number; rest?: number; machineBusyPercent?: number }
}

export interface StoreSummary {
  store: StoreKind
  label: string
  tmaPay?: TargetSummary
  baseline?: TargetSummary
  skipped?: string
}

export interface BenchReport {
  options: BenchOptions
  stores: StoreSummary[]
  machine: Machine
  command: string
  startedAt: string
  seconds: number
}

const stepLabels: Record<StepName, string> = {
  create: 'create',
  preCheckout: 'pre-checkout',
  payment: 'successful_payment / pay',
  whole: 'whole payment',
}

function ms(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-'
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)
}

const ratio = (a: number, b: number) => (Number.isFinite(a / b) && b > 0 ? (a / b).toFixed(2) : '-')

const widths = [34, 20, 20, 18]
const row = (...cells: string[]) =>
  cells
    .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
    .join('  ')
    .trimEnd()

function storeTable(summary: StoreSummary, rounds: number): string[] {
  const lines = [summary.label]
  if (summary.skipped) return [...lines, `  skipped: ${summary.skipped}`]
  const t = summary.tmaPay!
  const b = summary.baseline!
  const pair = (s: TargetSummary, step: StepName) => `${ms(s.steps[step].p50)} / ${ms(s.steps[step].p99)}`
  lines.push(row('', 'tma-pay', 'baseline', 'tma-pay/baseline'))
  lines.push(
    row(
      rounds > 1 ? `payments/s (median of ${rounds} rounds)` : 'payments/s',
      t.paymentsPerSecond.toFixed(1),
      b.paymentsPerSecond.toFixed(1),
      ratio(t.paymentsPerSecond, b.paymentsPerSecond),
    ),
  )
  if (rounds > 1) {
    const each = (s: TargetSummary) => s.roundsPaymentsPerSecond.map((v) => v.toFixed(0)).join(' ')
    lines.push(row('  each round', each(t), each(b)))
  }
  lines.push(
    row(rounds > 1 ? `latency, ms: p50 / p99 (median of ${rounds} rounds)` : 'latency, ms: p50 / p99'),
  )
  for (const step of Object.keys(stepLabels) as StepName[]) {
    const p50 = ratio(t.steps[step].p50, b.steps[step].p50)
    lines.push(
      row(
        `  ${stepLabels[step]}`,
        pair(t, step),
        pair(b, step),
        `${p50} / ${ratio(t.steps[step].p99, b.steps[step].p99)}`,
      ),
    )
  }
  lines.push(row('CPU per payment, ms'))
  lines.push(
    row(
      '  server process',
      ms(t.cpu.server),
      ms(b.cpu.server),
      ratio(t.cpu.server ?? NaN, b.cpu.server ?? NaN),
    ),
  )
  lines.push(row('  bench process (client + sim)', ms(t.cpu.bench), ms(b.cpu.bench)))
  lines.push(row('  rest of machine (PostgreSQL, OS)', ms(t.cpu.rest), ms(b.cpu.rest)))
  const busy = (s: TargetSummary) =>
    s.cpu.machineBusyPercent === undefined ? '-' : `${s.cpu.machineBusyPercent.toFixed(0)}%`
  lines.push(row('  all cores busy', busy(t), busy(b)))
  lines.push(
    row(
      'payments measured / errors',
      `${t.payments} / ${t.errors.length}`,
      `${b.payments} / ${b.errors.length}`,
    ),
  )
  lines.push(row('server warning/error log lines', String(t.serverLogLines), String(b.serverLogLines)))
  for (const error of [...t.errors.slice(0, 5), ...b.errors.slice(0, 5)]) lines.push(`  ! ${error}`)
  return lines
}

export function formatReport(report: BenchReport): string {
  const { options, machine } = report
  const lines = [
    `tma-pay server bench: per target and store, ${options.warmup} warm-up payments (not counted), then ` +
      `${options.rounds} round(s) of ${options.payments} payments, concurrency ${options.concurrency}`,
    '',
  ]
  for (const store of report.stores) lines.push(...storeTable(store, options.rounds), '')
  lines.push(
    'tma-pay:  `tma-pay serve` (child process) on the Telegram simulator (in the bench process), over loopback.',
    'baseline: bare node:http (child process) running the same SQL per payment; no Hono, grammY, init data, Bot API.',
    'steps:    create = POST /orders. pre-checkout = tma-pay: pre_checkout_query webhook sent -> answer reaches the',
    '          simulator; baseline: POST /orders/:id/pre-checkout. successful_payment / pay = tma-pay: the webhook',
    '          sent -> its 2xx; baseline: POST /orders/:id/pay. whole payment = create sent -> payment acknowledged.',
    '          Each figure is the median over the rounds (payments/s, and every round p50 and p99). See bench/README.md.',
    '',
    `machine: node ${machine.node}, ${machine.cpus} CPUs (${machine.availableParallelism} available), ${machine.cpuModel}, ` +
      `${machine.os}, ${machine.memoryGiB} GiB`,
    `commit:  ${machine.commit}`,
    ...busyBeforeLines(machine),
    `took:    ${report.seconds.toFixed(0)} s`,
    `reproduce (from the repository root): ${report.command}`,
  )
  return lines.join('\n')
}
