// Counts another process's system calls while `work` runs (`strace -c -f -p PID`): a figure that noise on a shared
// machine does not move, unlike time. Each round trip to the database or a Bot API call is a write and a read or
// more, so the counts show statements and requests saved. strace slows the process it traces: time nothing here.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export type SyscallCounts = Record<string, number>

/** Parses `strace -c`'s table: "% time seconds usecs/call calls errors syscall". */
function parseSummary(text: string): SyscallCounts {
  const counts: SyscallCounts = {}
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/)
    if (fields.length < 5 || !/^\d+(\.\d+)?$/.test(fields[0]!)) continue
    const name = fields.at(-1)!
    if (name === 'total') continue
    counts[name] = Number(fields[3])
  }
  return counts
}

/** `work`'s result and the calls the process made meanwhile, by name; undefined counts when strace is missing. */
export async function countSyscalls<T>(
  pid: number,
  work: () => Promise<T>,
): Promise<{ result: T; counts?: SyscallCounts }> {
  const dir = mkdtempSync(join(tmpdir(), 'tma-pay-strace-'))
  const output = join(dir, 'summary.txt')
  try {
    const tracer = spawn('strace', ['-c', '-f', '-o', output, '-p', String(pid)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    const attached = await new Promise<boolean>((resolve) => {
      let text = ''
      tracer.stderr!.on('data', (chunk: Buffer) => {
        text += chunk.toString()
        if (/attached/.test(text)) resolve(true)
      })
      tracer.once('error', () => resolve(false))
      tracer.once('exit', () => resolve(false))
    })
    if (!attached) return { result: await work() }
    const exited = new Promise((resolve) => tracer.once('exit', resolve))
    let result: T
    try {
      result = await work()
    } finally {
      // Detaching (SIGINT) makes strace write its summary.
      tracer.kill('SIGINT')
      await exited
    }
    return { result, counts: parseSummary(readFileSync(output, 'utf8')) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
