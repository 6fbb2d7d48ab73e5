// A bench's way in and its ways out. In: the flags (usage and exit 2 on bad ones), the --timeout signal and a
// backstop past it. Out: a normal end cleans up in its own `finally`s; the paths that cannot wait (Ctrl-C,
// SIGTERM, the backstop, an error that escaped main) end here, killing what the bench started: its children by
// pid, the PostgreSQL cluster it started, its temp dirs, and whatever else it registered (the browser).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stopClusterOnExit } from './databases'
import { killAllChildren } from './processes'
import { progress } from './progress'

const lastSteps = new Set<() => void>()
const tempDirs = new Set<string>()

/** Runs `step` (synchronously, best effort) on an exit that cannot wait, until the returned function is called. */
export function onShutdown(step: () => void): () => void {
  lastSteps.add(step)
  return () => lastSteps.delete(step)
}

/** A fresh dir in the OS temp dir (never the repository), removed by `remove()` or on any way out. */
export function makeTempRoot(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  tempDirs.add(path)
  return {
    path,
    remove() {
      rmSync(path, { recursive: true, force: true })
      tempDirs.delete(path)
    },
  }
}

/** For paths that cannot wait: end everything the bench started, then exit with `code`. */
export function shutdownNow(code: number): never {
  for (const step of lastSteps) step()
  killAllChildren()
  stopClusterOnExit()
  for (const path of tempDirs) rmSync(path, { recursive: true, force: true })
  process.exit(code)
}

export interface Bench<O extends { timeoutSeconds: number }> {
  /** The checked flags; `undefined` for --help. Throws on bad flags. */
  parse(argv: string[]): O | undefined
  usage: string
  /** What is left out of the output when --timeout stops the run, e.g. "nothing measured is reported". */
  timedOut: string
  /** The run; its result is the exit code. `signal` aborts at --timeout. */
  main(options: O, signal: AbortSignal): Promise<number>
}

async function start<O extends { timeoutSeconds: number }>(bench: Bench<O>): Promise<number> {
  let options: O | undefined
  try {
    options = bench.parse(process.argv.slice(2))
  } catch (error) {
    console.error(`bench: ${(error as Error).message}\n\n${bench.usage}`)
    return 2
  }
  if (!options) {
    console.log(bench.usage)
    return 0
  }
  const limit = options.timeoutSeconds
  // A backstop for a hang no await will notice (a child that never exits): end everything a minute later.
  setTimeout(
    () => {
      progress(`still running ${limit + 60} s after start; killing everything`)
      shutdownNow(1)
    },
    (limit + 60) * 1000,
  ).unref()
  return bench.main(options, AbortSignal.timeout(limit * 1000))
}

/** Runs the bench as this process's whole job: its exit code, and an end to everything on every way out. */
export function runBench<O extends { timeoutSeconds: number }>(bench: Bench<O>): void {
  process.once('SIGINT', () => shutdownNow(130))
  process.once('SIGTERM', () => shutdownNow(143))
  process.once('exit', killAllChildren)
  start(bench).then(
    (code) => {
      process.exitCode = code
    },
    (error: unknown) => {
      const timedOut = error instanceof Error && error.name === 'TimeoutError'
      console.error(
        timedOut
          ? `bench: stopped at the --timeout limit; ${bench.timedOut}`
          : `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      )
      shutdownNow(1)
    },
  )
}
