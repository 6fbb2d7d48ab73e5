// The server bench: whole payments through `tma-pay serve` and through a bare baseline doing the same SQL,
// on PGlite and on PostgreSQL, over 127.0.0.1 only. Bounded in payments and in time (--timeout); it stops
// its children and the PostgreSQL cluster it started on the way out. Results go to stdout, progress to
// stderr; nothing is written into the repository (temp files live in the OS temp dir and are removed).
//
//   npx tsx bench/server/run.ts [--quick] [--payments 300] [--concurrency 8] [--json FILE]
import { writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { withCleanups } from '../shared/cleanups'
import type { DatabaseServer } from '../shared/databases'
import { makeTempRoot, runBench } from '../shared/lifecycle'
import { busyBeforeStart, describeMachine } from '../shared/machine'
import { writeProductsFile } from '../shared/product'
import { progress } from '../shared/progress'
import { median, type Spread, spread } from '../shared/stats'
import { eachStore } from '../shared/stores'
import { startBaselineTarget } from './baseline-target'
import { type RoundResult, runRound, type StepName, stepNames, type Target } from './load'
import { type BenchOptions, parseOptions, reproduceCommand, usage } from './options'
import { type BenchReport, formatReport, type StoreSummary, type TargetSummary } from './report'
import { startTmaPayTarget } from './tma-pay-target'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0)
/** The sum over rounds of a CPU figure, or undefined when any round lacks it. */
const total = (values: Array<number | undefined>) =>
  values.every((value) => value !== undefined) ? sum(values as number[]) : undefined

function cpuPerPayment(rounds: RoundResult[]): TargetSummary['cpu'] {
  const payments = sum(rounds.map((round) => round.payments)) || Number.NaN
  const server = total(rounds.map((round) => round.serverCpuMs))
  const bench = sum(rounds.map((round) => round.benchCpuMs))
  const machine = total(rounds.map((round) => round.machineCpuMs))
  const wallMs = sum(rounds.map((round) => round.wallMs))
  return {
    bench: bench / payments,
    ...(server !== undefined ? { server: server / payments } : {}),
    ...(server !== undefined && machine !== undefined
      ? { rest: Math.max(0, machine - server - bench) / payments }
      : {}),
    ...(machine !== undefined ? { machineBusyPercent: (machine / (wallMs * cpus().length)) * 100 } : {}),
  }
}

/** Each round's p50 and p99 of each step. */
function roundSteps(round: RoundResult): Record<StepName, Spread> {
  return Object.fromEntries(
    stepNames.map((step) => [step, spread(round.samples.map((sample) => sample[step]))]),
  ) as Record<StepName, Spread>
}

function summarize(target: Target, rounds: RoundResult[]): TargetSummary {
  const perSecond = rounds.map((round) => round.paymentsPerSecond)
  const perRound = rounds.map(roundSteps)
  return {
    target: target.name,
    payments: sum(rounds.map((round) => round.payments)),
    paymentsPerSecond: median(perSecond),
    roundsPaymentsPerSecond: perSecond,
    // The median round's p50 and p99: one disturbed round (a checkpoint, a noisy neighbour) moves neither.
    steps: Object.fromEntries(
      stepNames.map((step) => [
        step,
        {
          p50: median(perRound.map((steps) => steps[step].p50)),
          p99: median(perRound.map((steps) => steps[step].p99)),
        },
      ]),
    ) as TargetSummary['steps'],
    roundsSteps: perRound,
    errors: rounds.flatMap((round) => round.errors),
    serverLogLines: target.serverErrors(),
    cpu: cpuPerPayment(rounds),
  }
}

function benchStore(
  server: DatabaseServer,
  options: BenchOptions,
  productsFile: string,
  signal: AbortSignal,
): Promise<StoreSummary> {
  return withCleanups(async (defer) => {
    const tmaPayDb = await server.fresh()
    defer(() => tmaPayDb.drop())
    const baselineDb = await server.fresh()
    defer(() => baselineDb.drop())
    progress(`${server.kind}: starting tma-pay serve`)
    const tmaPay = await startTmaPayTarget(repoRoot, productsFile, tmaPayDb)
    defer(() => tmaPay.stop())
    progress(`${server.kind}: starting the baseline server`)
    const baseline = await startBaselineTarget(repoRoot, baselineDb)
    defer(() => baseline.stop())

    const targets = [tmaPay, baseline]
    for (const target of targets) {
      progress(`${server.kind}: ${target.name} warm-up, ${options.warmup} payments`)
      const warm = await runRound(target, 0, options.warmup, options.concurrency, signal)
      if (warm.errors.length > 0) throw new Error(`${target.name} warm-up failed: ${warm.errors[0]}`)
    }
    const results = new Map<Target, RoundResult[]>(targets.map((target) => [target, []]))
    let firstIndex = options.warmup
    for (let round = 0; round < options.rounds; round++) {
      // Taking turns, first one then the other, so drift (a warming cache, a busy neighbour) hits both alike.
      for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
        const result = await runRound(target, firstIndex, options.payments, options.concurrency, signal)
        results.get(target)!.push(result)
        progress(
          `${server.kind}: ${target.name} round ${round + 1}/${options.rounds}: ${result.payments} payments, ` +
            `${result.paymentsPerSecond.toFixed(1)}/s${result.errors.length ? `, ${result.errors.length} errors` : ''}`,
        )
      }
      firstIndex += options.payments
    }
    return {
      store: server.kind,
      label: server.label,
      tmaPay: summarize(tmaPay, results.get(tmaPay)!),
      baseline: summarize(baseline, results.get(baseline)!),
    }
  })
}

async function main(options: BenchOptions, signal: AbortSignal): Promise<number> {
  const startedAt = new Date()
  // Two cores shared with a test run give figures that mean nothing; measure the quiet first, warn if it is not.
  const busyBefore = await busyBeforeStart('; figures will be skewed')
  const root = makeTempRoot('tma-pay-bench-')
  let stores: StoreSummary[]
  try {
    const productsFile = writeProductsFile(root.path)
    stores = await eachStore(options.stores, root.path, repoRoot, (server) =>
      benchStore(server, options, productsFile, signal),
    )
  } finally {
    root.remove()
  }

  const report: BenchReport = {
    options,
    stores,
    machine: describeMachine(repoRoot, busyBefore),
    command: reproduceCommand(options, process.env.TMA_PAY_BENCH_DATABASE_URL),
    startedAt: startedAt.toISOString(),
    seconds: (Date.now() - startedAt.getTime()) / 1000,
  }
  console.log(formatReport(report))
  if (options.json) writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`)
  const failed = stores.some(
    (store) => (store.tmaPay?.errors.length ?? 0) + (store.baseline?.errors.length ?? 0) > 0,
  )
  return failed ? 1 : 0
}

runBench({ parse: parseOptions, usage, timedOut: 'nothing measured is reported', main })
