// What the memory bench prints: per store, the server's RSS at each step, the memory per open stream, and
// whether RSS stayed flat over the second half of the payments.
import type { StoreKind } from '../shared/flags'
import { busyBeforeLines, type Machine } from '../shared/machine'
import type { SkippedStore } from '../shared/stores'
import type { MemoryOptions } from './options'

export interface StoreMemory {
  store: StoreKind
  label: string
  /** RSS in MiB: at start, after the warm-up, after the watched orders were made, with the streams open, after they closed. */
  startedMiB: number
  warmedMiB: number
  ordersMadeMiB: number
  streamsOpenMiB: number
  streamsClosedMiB: number
  checkpoints: Array<{ payments: number; rssMiB: number; paymentsPerSecond: number; openStreams: number }>
  /** Streams still open after the last payment: every one, or a stream was lost. */
  openAtEnd: number
  heartbeats: number
  errors: string[]
  serverLogLines: number
}

export interface MemoryReport {
  options: MemoryOptions
  stores: Array<StoreMemory | SkippedStore>
  machine: Machine
  command: string
  seconds: number
}

/** Issue 14: RSS from the middle checkpoint to the last within 10 %. */
export const flatWithinPercent = 10

const mib = (value: number) => `${value.toFixed(1)} MiB`

function storeLines(store: StoreMemory | SkippedStore, options: MemoryOptions): string[] {
  if ('skipped' in store) return [store.label, `  skipped: ${store.skipped}`]
  const row = (label: string, value: string, note = '') =>
    `  ${label.padEnd(44)}${value.padStart(12)}  ${note}`
  const perStreamKiB = ((store.streamsOpenMiB - store.ordersMadeMiB) * 1024) / options.streams
  const lines = [
    store.label,
    row('RSS at start', mib(store.startedMiB)),
    row(`after ${options.warmup} warm-up payments`, mib(store.warmedMiB)),
    row(`${options.streams} unpaid orders made to watch`, mib(store.ordersMadeMiB)),
    row(
      `${options.streams} order streams open`,
      mib(store.streamsOpenMiB),
      `${perStreamKiB.toFixed(1)} KiB per open stream`,
    ),
  ]
  for (const point of store.checkpoints)
    lines.push(
      row(
        `after ${point.payments} payments (streams open)`,
        mib(point.rssMiB),
        `${point.paymentsPerSecond.toFixed(0)} payments/s in that stretch, ${point.openStreams} streams open`,
      ),
    )
  const middle = store.checkpoints[Math.floor((store.checkpoints.length - 1) / 2)]
  const last = store.checkpoints.at(-1)
  if (middle && last && middle !== last) {
    const growth = ((last.rssMiB - middle.rssMiB) / middle.rssMiB) * 100
    lines.push(
      `  RSS from ${middle.payments} to ${last.payments} payments: ${growth >= 0 ? '+' : ''}${growth.toFixed(1)}%` +
        ` (target: within ${flatWithinPercent}%: ${Math.abs(growth) <= flatWithinPercent ? 'MET' : 'MISSED'})`,
    )
  }
  lines.push(
    row('after the streams closed', mib(store.streamsClosedMiB)),
    `  streams open at the end: ${store.openAtEnd}/${options.streams}, heartbeats received: ${store.heartbeats}, ` +
      `payments failed: ${store.errors.length}, server warning/error log lines: ${store.serverLogLines}`,
    ...store.errors.slice(0, 5).map((error) => `  ! ${error}`),
  )
  return lines
}

export function formatReport(report: MemoryReport): string {
  const { options, machine } = report
  return [
    `tma-pay memory bench: ${options.streams} open order streams (one user each), then ${options.payments} payments ` +
      `(${options.concurrency} in flight) while they stay open; RSS of \`tma-pay serve\` read 1 s after each step.`,
    '',
    ...report.stores.flatMap((store) => [...storeLines(store, options), '']),
    'per open stream = (RSS with the streams open - RSS before they opened) / streams.',
    '',
    `machine: node ${machine.node}, ${machine.cpus} CPUs, ${machine.cpuModel}, ${machine.os}, ${machine.memoryGiB} GiB`,
    `commit:  ${machine.commit}`,
    ...busyBeforeLines(machine),
    `took:    ${report.seconds.toFixed(0)} s`,
    `reproduce (from the repository root): ${report.command}`,
  ].join('\n')
}
