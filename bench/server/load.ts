// The load loop both targets share: `count` payments, `concurrency` at a time, each timed by step.
import { machineBusyCpuMs, ownCpuMs, processCpuMs } from '../shared/cpu'
import { monotonicMicros, type Window } from '../shared/cpu-profile'

export const stepNames = ['create', 'preCheckout', 'payment', 'whole'] as const
export type StepName = (typeof stepNames)[number]
export type StepTimes = Record<StepName, number>

/** tma-pay; the hand-written shop (Hono, grammY, postgres.js); the bare SQL baseline (node:http, SQL only). */
export const targetNames = ['tma-pay', 'hand-written', 'bare-sql'] as const
export type TargetName = (typeof targetNames)[number]

export interface Target {
  readonly name: TargetName
  /** The server's process. */
  readonly pid: number
  /** One whole payment by user number `index` (distinct per payment, so no per-user limit is met); ms per step. */
  pay(index: number, signal: AbortSignal): Promise<StepTimes>
  /** After a round, untimed: problems with the payments made since the last call (an order not paid...). */
  verify(signal: AbortSignal): Promise<string[]>
  /** Warnings or errors the server logged so far. */
  serverErrors(): number
  stop(): Promise<void>
}

export interface RoundResult {
  payments: number
  wallMs: number
  paymentsPerSecond: number
  samples: StepTimes[]
  errors: string[]
  /** CPU ms the server process, this process and the whole machine spent during the round (undefined without /proc). */
  serverCpuMs: number | undefined
  benchCpuMs: number
  machineCpuMs: number | undefined
  /** When the round ran, on the monotonic clock: the samples of a server's CPU profile that belong to it. */
  window: Window
  /** Under --instructions: what the server executed during the round (callgrind). */
  instructions?: number
}

// A round stops early past this many failures: a dead server fails every payment, some only at a timeout.
const maxErrors = 10
const paymentTimeoutMs = 30_000

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`payment took over ${ms} ms`)), ms)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

export async function runRound(
  target: Target,
  firstIndex: number,
  count: number,
  concurrency: number,
  signal: AbortSignal,
): Promise<RoundResult> {
  const samples: StepTimes[] = []
  const errors: string[] = []
  let next = 0
  const worker = async () => {
    while (next < count && errors.length < maxErrors) {
      signal.throwIfAborted()
      const index = firstIndex + next++
      try {
        samples.push(await withTimeout(target.pay(index, signal), paymentTimeoutMs))
      } catch (error) {
        if (signal.aborted) throw signal.reason
        errors.push(`payment ${index}: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
  }
  const serverCpu = processCpuMs(target.pid)
  const benchCpu = ownCpuMs()
  const machineCpu = machineBusyCpuMs()
  const started = performance.now()
  const windowStart = monotonicMicros()
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  const wallMs = performance.now() - started
  const windowEnd = monotonicMicros()
  const serverCpuAfter = processCpuMs(target.pid)
  const benchCpuMs = ownCpuMs() - benchCpu
  const machineCpuAfter = machineBusyCpuMs()
  errors.push(...(await target.verify(signal)))
  const delta = (before?: number, after?: number) =>
    before === undefined || after === undefined ? undefined : after - before
  return {
    payments: samples.length,
    wallMs,
    paymentsPerSecond: (samples.length / wallMs) * 1000,
    samples,
    errors,
    serverCpuMs: delta(serverCpu, serverCpuAfter),
    benchCpuMs,
    machineCpuMs: delta(machineCpu, machineCpuAfter),
    window: [windowStart, windowEnd],
  }
}
