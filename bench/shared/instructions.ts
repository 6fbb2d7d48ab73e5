// Instructions a server executes, counted by valgrind's callgrind: a figure that other work on the machine does not
// move (unlike CPU time, which a busy neighbour's caches and clock shift by tens of percent). The server runs under
// valgrind from the start with counting off, so its start and warm-up are not counted; `countInstructions` counts
// only while `work` runs. Valgrind makes it 10-50x slower: in this mode the times mean nothing.
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** The command line that runs node under callgrind, counting nothing until told; dumps go to `dir`. */
export const callgrindNode = (dir: string) => [
  'valgrind',
  '--tool=callgrind',
  '--instr-atstart=no',
  `--callgrind-out-file=${join(dir, 'callgrind.out.%p')}`,
  process.execPath,
]

function control(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('callgrind_control', args, { timeout: 120_000 }, (error, stdout, stderr) =>
      error
        ? reject(new Error(`callgrind_control ${args.join(' ')}: ${error.message}\n${stderr}`))
        : resolve(stdout),
    ),
  )
}

/** The instruction count (the last "totals:" line) of the newest dump of `pid` in `dir`. */
function lastDump(dir: string, pid: number): number {
  const dumps = readdirSync(dir)
    .filter((name) => name.startsWith(`callgrind.out.${pid}.`))
    .sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()))
  const text = readFileSync(join(dir, dumps.at(-1)!), 'utf8')
  const total = [...text.matchAll(/^totals:\s+(\d+)/gm)].at(-1)?.[1]
  if (total === undefined) throw new Error(`no instruction total in ${dumps.at(-1)}`)
  return Number(total)
}

/** `work`'s result and the instructions the process under callgrind executed meanwhile. */
export async function countInstructions<T>(
  pid: number,
  dir: string,
  work: () => Promise<T>,
): Promise<{ result: T; instructions: number }> {
  await control(['--zero', String(pid)])
  await control(['--instr=on', String(pid)])
  let result: T
  try {
    result = await work()
  } finally {
    await control(['--instr=off', String(pid)])
  }
  await control(['--dump', String(pid)])
  return { result, instructions: lastDump(dir, pid) }
}
