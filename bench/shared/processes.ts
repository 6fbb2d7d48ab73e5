// The bench's child processes: started with a line to wait for, stopped politely then firmly, and all killed
// (by their own pid) if the bench itself ends early.
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'

export interface Child {
  readonly pid: number
  /** The match of the ready pattern in the child's output. */
  readonly ready: RegExpExecArray
  /** The last lines the child printed, for error messages. */
  tail(): string
  /** How many lines matched each of StartOptions.count, over the child's life. */
  counts(): Record<string, number>
  readonly exited: boolean
  /** SIGTERM, then SIGKILL after graceMs. Resolves once it has exited. */
  stop(graceMs?: number): Promise<void>
}

const living = new Set<ChildProcess>()

/** Kills every child still running; for exit paths that cannot wait. */
export function killAllChildren(): void {
  for (const child of living) child.kill('SIGKILL')
  living.clear()
}

/** Our environment minus the developer's TMA_PAY_* and PORT, which would change a child's config behind our flags. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('TMA_PAY_') && key !== 'PORT') env[key] = value
  return { ...env, ...extra }
}

export interface StartOptions {
  cwd: string
  env: NodeJS.ProcessEnv
  /** Matched against everything the child printed so far; the child is ready when it matches. */
  ready: RegExp
  timeoutMs: number
  /** Lines to count by name, e.g. the child's error log lines. */
  count?: Record<string, RegExp>
}

export function startChild(command: string, args: string[], options: StartOptions): Promise<Child> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  living.add(child)
  let output = ''
  let isReady = false
  const lines: string[] = []
  const patterns = Object.entries(options.count ?? {})
  const counted: Record<string, number> = Object.fromEntries(patterns.map(([name]) => [name, 0]))
  let partial = ''
  const onData = (chunk: Buffer) => {
    const text = chunk.toString()
    // The whole output is kept only until the ready line; after that, a bounded tail.
    if (!isReady) output += text
    const split = (partial + text).split('\n')
    partial = split.pop() ?? ''
    for (const line of split) {
      lines.push(line)
      for (const [name, pattern] of patterns) if (pattern.test(line)) counted[name]! += 1
    }
    if (lines.length > 200) lines.splice(0, lines.length - 100)
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  let exited = false
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true
      living.delete(child)
      resolve()
    }),
  )
  const tail = () => [...lines.slice(-30), partial].join('\n').trim()

  return new Promise<Child>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${args.join(' ')} did not get ready in ${options.timeoutMs} ms:\n${tail()}`))
    }, options.timeoutMs)
    const check = () => {
      const match = options.ready.exec(output)
      if (!match) return
      clearTimeout(timer)
      child.stdout!.off('data', check)
      child.stderr!.off('data', check)
      isReady = true
      output = ''
      resolve({
        pid: child.pid!,
        ready: match,
        tail,
        counts: () => ({ ...counted }),
        get exited() {
          return exited
        },
        async stop(graceMs = 10_000) {
          if (exited) return
          child.kill('SIGTERM')
          const killer = setTimeout(() => child.kill('SIGKILL'), graceMs)
          await exit
          clearTimeout(killer)
        },
      })
    }
    child.stdout!.on('data', check)
    child.stderr!.on('data', check)
    void exit.then(() => {
      clearTimeout(timer)
      reject(new Error(`${args.join(' ')} exited before it was ready (code ${child.exitCode}):\n${tail()}`))
    })
  })
}

/** A port free on 127.0.0.1 right now (another process may still take it before we bind it). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
