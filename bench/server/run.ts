// The server bench: whole payments through `tma-pay serve`, through a hand-written shop (Hono, grammY,
// postgres.js; PostgreSQL only) and through a bare baseline doing tma-pay's SQL, on PGlite and on PostgreSQL,
// over 127.0.0.1 only. Bounded in payments and in time (--timeout); it stops its children and the PostgreSQL
// cluster it started on the way out. Results go to stdout, progress to stderr; nothing is written into the
// repository (temp files live in the OS temp dir and are removed).
//
//   npx tsx bench/server/run.ts [--quick] [--payments 300] [--concurrency 8] [--cpu-prof DIR] [--json FILE]
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { withCleanups } from '../shared/cleanups'
import { cpuProfFlags, latestProfile, summarizeProfile } from '../shared/cpu-profile'
import type { DatabaseServer } from '../shared/databases'
import { callgrindNode, countInstructions } from '../shared/instructions'
import { runBench } from '../shared/lifecycle'
import { describeMachine } from '../shared/machine'
import { progress } from '../shared/progress'
import { median, type Spread, spread } from '../shared/stats'
import { benchEachStore } from '../shared/stores'
import { countSyscalls } from '../shared/syscalls'
import { startBaselineTarget } from './baseline-target'
import { type RoundResult, runRound, type StepName, stepNames, type Target, type TargetName } from './load'
import { type BenchOptions, parseOptions, reproduceCommand, usage } from './options'
import { type BenchReport, formatReport, type StoreSummary, type TargetSummary } from './report'
import { startShopTarget } from './shop-target'
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
    ...(rounds.every((round) => round.instructions !== undefined)
      ? {
          instructionsPerPayment:
            sum(rounds.map((round) => round.instructions!)) / sum(rounds.map((round) => round.payments)),
        }
      : {}),
  }
}

/**
 * Starts one target on a fresh database, with node as `node` runs it: plain, under --cpu-prof (its profile into a
 * directory of its own), or under callgrind.
 */
async function startTarget(
  name: TargetName,
  server: DatabaseServer,
  productsFile: string,
  node: string[],
  defer: (undo: () => Promise<unknown>) => void,
  serveArgs: string[],
): Promise<Target> {
  const db = await server.fresh()
  defer(() => db.drop())
  progress(`${server.kind}: starting ${name}`)
  if (name === 'tma-pay') return startTmaPayTarget(repoRoot, productsFile, db, node, serveArgs)
  if (name === 'hand-written') return startShopTarget(repoRoot, db, node)
  return startBaselineTarget(repoRoot, db, node)
}

function benchStore(
  server: DatabaseServer,
  options: BenchOptions,
  productsFile: string,
  signal: AbortSignal,
): Promise<StoreSummary> {
  // The hand-written shop is written for postgres.js: PostgreSQL only.
  const names = options.targets.filter((name) => name !== 'hand-written' || server.kind === 'postgres')
  const profileDirs = new Map<TargetName, string>()
  const dumpDirs = new Map<TargetName, string>()
  for (const [dir, dirs] of [
    [options.cpuProf, profileDirs],
    [options.instructions, dumpDirs],
  ] as const) {
    if (!dir) continue
    mkdirSync(dir, { recursive: true })
    for (const name of names) dirs.set(name, mkdtempSync(join(resolve(dir), `${server.kind}-${name}-`)))
  }
  const nodeOf = (name: TargetName) =>
    profileDirs.has(name)
      ? [process.execPath, ...cpuProfFlags(profileDirs.get(name)!)]
      : dumpDirs.has(name)
        ? callgrindNode(dumpDirs.get(name)!)
        : [process.execPath]
  /** A measured round; under --instructions, counted by callgrind. */
  const measure = async (target: Target, firstIndex: number): Promise<RoundResult> => {
    const round = () => runRound(target, firstIndex, options.payments, options.concurrency, signal)
    const dir = dumpDirs.get(target.name)
    if (!dir) return round()
    const { result, instructions } = await countInstructions(target.pid, dir, round)
    return { ...result, instructions }
  }
  const results = new Map<Target, RoundResult[]>()
  const targets: Target[] = []
  const stopped = new Map<Target, Promise<void>>()
  // Once each, newest first: each fetch tap then puts back the fetch it wrapped.
  const stop = (target: Target) => stopped.get(target) ?? stopped.set(target, target.stop()).get(target)!
  return withCleanups(async (defer) => {
    for (const name of names) {
      const serveArgs = options.preCheckoutCall ? ['--pre-checkout-call'] : []
      const target = await startTarget(name, server, productsFile, nodeOf(name), defer, serveArgs)
      // Stopped before the next store; a profile is written when its server exits.
      defer(() => stop(target))
      targets.push(target)
      results.set(target, [])
    }
    for (const target of targets) {
      progress(`${server.kind}: ${target.name} warm-up, ${options.warmup} payments`)
      const warm = await runRound(target, 0, options.warmup, options.concurrency, signal)
      if (warm.errors.length > 0) throw new Error(`${target.name} warm-up failed: ${warm.errors[0]}`)
    }
    let firstIndex = options.warmup
    for (let round = 0; round < options.rounds; round++) {
      // Taking turns, forwards then backwards, so drift (a warming cache, a busy neighbour) hits all alike.
      for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
        const result = await measure(target, firstIndex)
        results.get(target)!.push(result)
        progress(
          `${server.kind}: ${target.name} round ${round + 1}/${options.rounds}: ${result.payments} payments, ` +
            `${result.paymentsPerSecond.toFixed(1)}/s${result.errors.length ? `, ${result.errors.length} errors` : ''}`,
        )
      }
      firstIndex += options.payments
    }
    const summaries = targets.map((target) => summarize(target, results.get(target)!))
    if (options.syscalls)
      for (const [i, target] of targets.entries()) {
        progress(`${server.kind}: ${target.name}, ${options.payments} payments under strace -c`)
        const { result, counts } = await countSyscalls(target.pid, () =>
          runRound(target, firstIndex, options.payments, options.concurrency, signal),
        )
        firstIndex += options.payments
        if (result.errors.length) throw new Error(`${target.name} under strace: ${result.errors[0]}`)
        if (counts)
          summaries[i]!.syscalls = Object.fromEntries(
            Object.entries(counts).map(([name, calls]) => [name, calls / result.payments]),
          )
      }
    // The servers exit (and write their profiles) before the profiles are read.
    for (const target of [...targets].reverse()) await stop(target)
    const profiles: StoreSummary['profiles'] = {}
    for (const [name, dir] of profileDirs) {
      const file = latestProfile(dir)
      const rounds = [...results].find(([target]) => target.name === name)?.[1] ?? []
      if (!file) {
        progress(`${server.kind}: ${name} wrote no profile in ${dir}`)
        continue
      }
      const payments = sum(rounds.map((round) => round.payments))
      profiles[name] = {
        file,
        ...summarizeProfile(
          file,
          rounds.map((round) => round.window),
          payments,
        ),
      }
    }
    return {
      store: server.kind,
      label: server.label,
      targets: summaries,
      ...(options.cpuProf ? { profiles } : {}),
    }
  })
}

async function main(options: BenchOptions, signal: AbortSignal): Promise<number> {
  const startedAt = new Date()
  const benched = await benchEachStore(options.stores, 'tma-pay-bench-', repoRoot, (server, productsFile) =>
    benchStore(server, options, productsFile, signal),
  )
  // A skipped store is a StoreSummary with `skipped` set.
  const stores: StoreSummary[] = benched.stores
  const busyBefore = benched.busyBefore

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
  const failed = stores.some((store) => (store.targets ?? []).some((target) => target.errors.length > 0))
  return failed ? 1 : 0
}

runBench({ parse: parseOptions, usage, timedOut: 'nothing measured is reported', main })
