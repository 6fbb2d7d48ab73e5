// The machine the figures came from, and whether it was quiet when the bench began: on 2 cores shared with a
// test run the figures mean little, so every report says how busy the cores were.
import { execFileSync } from 'node:child_process'
import { arch, availableParallelism, cpus, platform, release, totalmem } from 'node:os'
import { machineBusyPercent } from './cpu'
import { progress } from './progress'

export interface Machine {
  node: string
  cpus: number
  availableParallelism: number
  cpuModel: string
  os: string
  memoryGiB: number
  commit: string
  /** How busy the cores were in the second before the bench began: other work there disturbs every figure. */
  busyBeforePercent?: number
}

/** Above this the machine was doing something else when the bench began. */
export const quietPercent = 15

function gitCommit(repoRoot: string): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim()
    const head = git('rev-parse', '--short', 'HEAD')
    return git('status', '--porcelain').length > 0 ? `${head} + uncommitted changes` : head
  } catch {
    return 'unknown (not a git checkout)'
  }
}

export function describeMachine(repoRoot: string, busyBeforePercent: number | undefined): Machine {
  return {
    ...(busyBeforePercent !== undefined ? { busyBeforePercent } : {}),
    node: process.version,
    cpus: cpus().length,
    availableParallelism: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    os: `${platform()} ${release()} ${arch()}`,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    commit: gitCommit(repoRoot),
  }
}

/** How busy the cores were over the next second; warns (ending with `consequence`) when they were not quiet. */
export async function busyBeforeStart(consequence: string): Promise<number | undefined> {
  const busy = await machineBusyPercent(1000, cpus().length)
  if (busy !== undefined && busy > quietPercent)
    progress(`warning: the cores were ${busy.toFixed(0)}% busy before the bench started${consequence}`)
  return busy
}

/** The report's "before:" line, when the quiet was measured. */
export const busyBeforeLines = (machine: Machine): string[] =>
  machine.busyBeforePercent === undefined
    ? []
    : [
        `before:  cores ${machine.busyBeforePercent.toFixed(0)}% busy in the second before the bench` +
          (machine.busyBeforePercent > quietPercent ? ': NOT QUIET, other work skews these figures' : ''),
      ]
