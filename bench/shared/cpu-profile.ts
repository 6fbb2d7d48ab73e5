// Reads the .cpuprofile a server wrote under `node --cpu-prof` and sums its samples by function and by package,
// counting only the samples taken inside given windows of the monotonic clock (the measured rounds), so the
// start (tsx compiling the source, migrations) and the warm-up do not show.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** [start, end] in µs of the monotonic clock (process.hrtime), which V8's profile timestamps use too on Linux. */
export type Window = [number, number]

export const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n)

/** A wall-clock time of this process (performance.timeOrigin + performance.now(), in ms) on the monotonic clock, in µs. */
export function wallToMonotonicMicros(wallMs: number): number {
  const offset = monotonicMicros() - performance.now() * 1000
  return (wallMs - performance.timeOrigin) * 1000 + offset
}

/** How long the windows cover together, overlaps counted once, in µs. */
export function coveredMicros(windows: readonly Window[]): number {
  let covered = 0
  let end = Number.NEGATIVE_INFINITY
  for (const [start, stop] of [...windows].sort((a, b) => a[0] - b[0])) {
    if (stop <= end) continue
    covered += stop - Math.max(start, end)
    end = stop
  }
  return covered
}

/** The node flags that make a child write its profile into `dir` when it exits. */
export const cpuProfFlags = (dir: string) => [
  '--cpu-prof',
  '--cpu-prof-dir',
  dir,
  // 1 ms by default: too coarse for requests of a few ms.
  '--cpu-prof-interval',
  '250',
]

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
}
interface Profile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

export interface ProfileEntry {
  name: string
  /** Self time in ms per payment. */
  msPerPayment: number
  /** Share of the busy (non-idle) samples, in percent. */
  percent: number
}

export interface ProfileSummary {
  /** Busy ms (every sample but idle) per payment, in the windows. */
  busyMsPerPayment: number
  samples: number
  functions: ProfileEntry[]
  packages: ProfileEntry[]
}

/** Where a function lives, for the package view: node_modules/<pkg>, node's own, tma-pay's src/, or V8's. */
function packageOf(frame: CallFrame): string {
  const { url, functionName } = frame
  if (!url) return functionName.startsWith('(') ? functionName : '(native)'
  if (url.startsWith('node:')) return 'node: (internals)'
  const modules = url.lastIndexOf('/node_modules/')
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/')
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  const src = url.indexOf('/src/')
  if (src >= 0)
    return `tma-pay ${url
      .slice(src + 1)
      .split('/')
      .slice(0, 2)
      .join('/')}`
  const bench = url.indexOf('/bench/')
  return bench >= 0 ? url.slice(bench + 1) : url
}

function shortLocation(frame: CallFrame): string {
  const { url, lineNumber } = frame
  if (!url) return ''
  const modules = url.lastIndexOf('/node_modules/')
  const tail =
    modules >= 0 ? url.slice(modules + '/node_modules/'.length) : url.replace(/^.*\/(src|bench)\//, '$1/')
  return `${tail.replace(/^file:\/\//, '')}:${lineNumber + 1}`
}

/**
 * The newest main-thread .cpuprofile in `dir` (a child writes one per thread when it exits, named
 * CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; tsx's loader runs in thread 1).
 */
export function latestProfile(dir: string): string | undefined {
  const files = readdirSync(dir)
    .filter((name) => /\.\d+\.0\.\d+\.cpuprofile$/.test(name))
    .sort()
  return files.length ? join(dir, files.at(-1)!) : undefined
}

/** The profile's self time inside `windows`, by function and by package, the `top` largest of each. */
export function summarizeProfile(
  file: string,
  windows: readonly Window[],
  payments: number,
  top = 25,
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  const byFunction = new Map<string, number>()
  const byPackage = new Map<string, number>()
  let busy = 0
  let samples = 0
  let at = profile.startTime
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0
    // A sample stands for the time until the next one.
    const weight = profile.timeDeltas[i + 1] ?? 0
    if (!windows.some(([start, end]) => at >= start && at <= end)) continue
    const frame = frames.get(profile.samples[i]!)!
    if (frame.functionName === '(idle)') continue
    samples++
    busy += weight
    const name = `${frame.functionName || '(anonymous)'} ${shortLocation(frame)}`.trim()
    byFunction.set(name, (byFunction.get(name) ?? 0) + weight)
    const pkg = packageOf(frame)
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + weight)
  }
  const entries = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({
        name,
        msPerPayment: micros / 1000 / payments,
        percent: busy > 0 ? (micros / busy) * 100 : 0,
      }))
  return {
    busyMsPerPayment: busy / 1000 / payments,
    samples,
    functions: entries(byFunction),
    packages: entries(byPackage),
  }
}

/** The summary as report lines. */
export function profileLines(title: string, summary: ProfileSummary, functions = 25): string[] {
  const line = (entry: ProfileEntry) =>
    `  ${entry.msPerPayment.toFixed(3).padStart(7)} ms ${entry.percent.toFixed(1).padStart(5)}%  ${entry.name}`
  return [
    `${title}: ${summary.busyMsPerPayment.toFixed(2)} ms busy per payment in the profile (${summary.samples} samples)`,
    '  self time by package:',
    ...summary.packages.slice(0, 12).map(line),
    `  top ${functions} functions by self time:`,
    ...summary.functions.slice(0, functions).map(line),
  ]
}
