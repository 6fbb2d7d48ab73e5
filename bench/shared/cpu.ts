// CPU time spent, to tell on a small machine where a payment's time goes: the server child, or this process
// (the load client and the Telegram simulator).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

let ticksPerSecond: number | undefined

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      ticksPerSecond = 100
    }
  }
  return ticksPerSecond
}

/** User + system CPU ms of another process so far (Linux /proc); undefined where there is no /proc. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) / clockTicks()) * 1000
  } catch {
    return undefined
  }
}

/** User + system CPU ms of this process so far. */
export function ownCpuMs(): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/** CPU ms all cores of the machine spent busy so far (Linux /proc/stat); undefined where there is none. */
export function machineBusyCpuMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!
    // cpu user nice system idle iowait irq softirq steal ...: busy is everything but idle and iowait.
    const [, ...ticks] = line.trim().split(/\s+/).map(Number)
    const busy = ticks.slice(0, 8).reduce((sum, n, i) => (i === 3 || i === 4 ? sum : sum + n), 0)
    return (busy / clockTicks()) * 1000
  } catch {
    return undefined
  }
}

/** How busy all cores were over the next `ms`, in percent of all of them; undefined where /proc is missing. */
export async function machineBusyPercent(ms: number, cpuCount: number): Promise<number | undefined> {
  const before = machineBusyCpuMs()
  const started = performance.now()
  await new Promise((resolve) => setTimeout(resolve, ms))
  const after = machineBusyCpuMs()
  if (before === undefined || after === undefined) return undefined
  return ((after - before) / ((performance.now() - started) * cpuCount)) * 100
}
