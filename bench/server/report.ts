// What the bench prints (and writes with --json): per store, tma-pay, the hand-written shop and the bare SQL
// baseline side by side, tma-pay's ratios to both, and (under --cpu-prof) where each server spent its CPU.

import { type ProfileSummary, profileLines } from '../shared/cpu-profile'
import type { StoreKind } from '../shared/flags'
import { busyBeforeLines, type Machine } from '../shared/machine'
import type { Spread } from '../shared/stats'
import type { StepName, TargetName } from './load'
import type { BenchOptions } from './options'

export interface TargetSummary {
  target: TargetName
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
  /** CPU ms per measured payment: the server process, this process (client + simulators), the rest of the machine
   * (PostgreSQL, the OS); and how busy all cores were. Undefined where /proc is missing. */
  cpu: { server?: number; bench: number; rest?: number; machineBusyPercent?: number }
  /** Under --instructions: what the server executed per payment in the measured rounds (callgrind). */
  instructionsPerPayment?: number
  /** Under --syscalls: the server's system calls per payment, by name, over one extra round under strace. */
  syscalls?: Record<string, number>
}

export interface StoreSummary {
  store: StoreKind
  label: string
  /** In the order of --targets; the hand-written shop only on PostgreSQL. */
  targets?: TargetSummary[]
  /** Under --cpu-prof: each server's profile, restricted to its measured rounds. */
  profiles?: Partial<Record<TargetName, ProfileSummary & { file: string }>>
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

/** Issue 14's targets for tma-pay on PostgreSQL. */
export const targets = { cpuVsHandWritten: 1.5, throughputVsHandWritten: 0.75, throughputVsBare: 0.75 }

const labels: Record<TargetName, string> = {
  'tma-pay': 'tma-pay',
  'hand-written': 'hand-written',
  'bare-sql': 'bare SQL',
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

const quotient = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 && Number.isFinite(a / b) ? a / b : undefined
const ratio = (a: number | undefined, b: number | undefined) => quotient(a, b)?.toFixed(2) ?? '-'

const row = (cells: string[], widths: number[]) =>
  cells
    .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i] ?? 16)))
    .join('  ')
    .trimEnd()

function storeTable(summary: StoreSummary, rounds: number): string[] {
  const lines = [summary.label]
  if (summary.skipped || !summary.targets) return [...lines, `  skipped: ${summary.skipped}`]
  const all = summary.targets
  const tmaPay = all.find((s) => s.target === 'tma-pay')
  const others = tmaPay ? all.filter((s) => s !== tmaPay) : []
  const widths = [34, ...all.map(() => 18), ...others.map(() => 22)]
  const line = (label: string, cell: (s: TargetSummary) => string, ratioOf?: (s: TargetSummary) => string) =>
    lines.push(row([label, ...all.map(cell), ...others.map((o) => (ratioOf ? ratioOf(o) : ''))], widths))
  lines.push(
    row(
      ['', ...all.map((s) => labels[s.target]), ...others.map((o) => `tma-pay/${labels[o.target]}`)],
      widths,
    ),
  )
  line(
    rounds > 1 ? `payments/s (median of ${rounds} rounds)` : 'payments/s',
    (s) => s.paymentsPerSecond.toFixed(1),
    (o) => ratio(tmaPay!.paymentsPerSecond, o.paymentsPerSecond),
  )
  if (rounds > 1) line('  each round', (s) => s.roundsPaymentsPerSecond.map((v) => v.toFixed(0)).join(' '))
  lines.push(rounds > 1 ? `latency, ms: p50 / p99 (median of ${rounds} rounds)` : 'latency, ms: p50 / p99')
  for (const step of Object.keys(stepLabels) as StepName[])
    line(
      `  ${stepLabels[step]}`,
      (s) => `${ms(s.steps[step].p50)} / ${ms(s.steps[step].p99)}`,
      (o) =>
        `${ratio(tmaPay!.steps[step].p50, o.steps[step].p50)} / ${ratio(tmaPay!.steps[step].p99, o.steps[step].p99)}`,
    )
  lines.push('CPU per payment, ms')
  line(
    '  server process',
    (s) => ms(s.cpu.server),
    (o) => ratio(tmaPay!.cpu.server, o.cpu.server),
  )
  if (all.some((s) => s.instructionsPerPayment !== undefined))
    line(
      '  server instructions (callgrind), millions',
      (s) => (s.instructionsPerPayment === undefined ? '-' : (s.instructionsPerPayment / 1e6).toFixed(2)),
      (o) => ratio(tmaPay!.instructionsPerPayment, o.instructionsPerPayment),
    )
  line('  bench process (client + sim)', (s) => ms(s.cpu.bench))
  line('  rest of machine (PostgreSQL, OS)', (s) => ms(s.cpu.rest))
  line('  all cores busy', (s) =>
    s.cpu.machineBusyPercent === undefined ? '-' : `${s.cpu.machineBusyPercent.toFixed(0)}%`,
  )
  if (all.some((s) => s.syscalls)) {
    const calls = (s: TargetSummary, names: string[]) =>
      s.syscalls ? names.reduce((n, name) => n + (s.syscalls![name] ?? 0), 0) : undefined
    const groups: Array<[string, string[] | undefined]> = [
      ['  all', undefined],
      ['  writes (write, writev, sendto, sendmsg)', ['write', 'writev', 'sendto', 'sendmsg']],
      ['  reads (read, readv, recvfrom, recvmsg)', ['read', 'readv', 'recvfrom', 'recvmsg']],
      ['  waits (epoll_wait, epoll_pwait)', ['epoll_wait', 'epoll_pwait']],
    ]
    lines.push('system calls per payment (strace -c, one more round)')
    for (const [label, names] of groups) {
      const of = (s: TargetSummary) => calls(s, names ?? Object.keys(s.syscalls ?? {}))
      line(
        label,
        (s) => of(s)?.toFixed(1) ?? '-',
        (o) => ratio(of(tmaPay!), of(o)),
      )
    }
  }
  line('payments measured / errors', (s) => `${s.payments} / ${s.errors.length}`)
  line('server warning/error log lines', (s) => String(s.serverLogLines))
  for (const s of all)
    for (const error of s.errors.slice(0, 5)) lines.push(`  ! ${labels[s.target]}: ${error}`)
  lines.push(...targetLines(all))
  for (const [name, profile] of Object.entries(summary.profiles ?? {}))
    lines.push(
      '',
      ...profileLines(`profile of ${name} (${profile.file})`, profile, name === 'tma-pay' ? 25 : 12),
    )
  return lines
}

/** Issue 14's targets, MET or MISSED, for what this store measured. */
function targetLines(all: TargetSummary[]): string[] {
  const of = (name: TargetName) => all.find((s) => s.target === name)
  const tmaPay = of('tma-pay')
  const handWritten = of('hand-written')
  const bare = of('bare-sql')
  if (!tmaPay) return []
  const verdict = (value: number | undefined, limit: number, atMost: boolean) =>
    value === undefined
      ? '-'
      : `${value.toFixed(2)} ${atMost ? '<=' : '>='} ${limit} ${(atMost ? value <= limit : value >= limit) ? 'MET' : 'MISSED'}`
  const checks: string[] = []
  if (handWritten) {
    checks.push(
      `server CPU per payment / hand-written's ${verdict(quotient(tmaPay.cpu.server, handWritten.cpu.server), targets.cpuVsHandWritten, true)}`,
      `payments/s / hand-written's ${verdict(quotient(tmaPay.paymentsPerSecond, handWritten.paymentsPerSecond), targets.throughputVsHandWritten, false)}`,
    )
  }
  if (bare)
    checks.push(
      `payments/s / bare SQL's ${verdict(quotient(tmaPay.paymentsPerSecond, bare.paymentsPerSecond), targets.throughputVsBare, false)}`,
    )
  return checks.length ? ['targets (tma-pay):', ...checks.map((check) => `  ${check}`)] : []
}

export function formatReport(report: BenchReport): string {
  const { options, machine } = report
  const lines = [
    `tma-pay server bench: per target and store, ${options.warmup} warm-up payments (not counted), then ` +
      `${options.rounds} round(s) of ${options.payments} payments, concurrency ${options.concurrency}` +
      (options.cpuProf ? '; every server under node --cpu-prof (slower than unprofiled)' : '') +
      (options.instructions
        ? '; every server under callgrind (times and CPU mean nothing; instructions do)'
        : ''),
    '',
  ]
  for (const store of report.stores) lines.push(...storeTable(store, options.rounds), '')
  lines.push(
    'tma-pay:      `tma-pay serve` (child process) on the Telegram simulator (in the bench process), over loopback.',
    'hand-written: a shop in Hono + grammY + postgres.js + @tma.js/init-data-node (child process) on a simulator of',
    '              its own, the same HTTP route and Bot API calls; init data, pre-checkout check, exactly-once',
    '              payment row; no idempotency keys, timeline, outbox, streams (PostgreSQL only).',
    "bare SQL:     bare node:http (child process) running tma-pay's SQL of a payment; no Hono, grammY, init data, Bot API.",
    'steps:    create = POST /orders. pre-checkout = tma-pay and hand-written: pre_checkout_query webhook sent -> answer',
    '          reaches the simulator; bare SQL: POST /orders/:id/pre-checkout. successful_payment / pay = the webhook',
    '          sent -> its 2xx; bare SQL: POST /orders/:id/pay. whole payment = create sent -> payment acknowledged.',
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
