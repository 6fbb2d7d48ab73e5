// `tma-pay` as users run it, for the CLI tests: a child process from bin/tma-pay.mjs (the build, unless it is
// older than the source), its environment cleaned of the developer's TMA_PAY_* settings.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Order, Product } from 'tma-pay'
import { afterAll, expect } from 'vitest'
import { eventually, sleep } from './stack'

export const root = fileURLToPath(new URL('../..', import.meta.url))
export const bin = join(root, 'bin/tma-pay.mjs')
export const examples = JSON.parse(readFileSync(join(root, 'examples/products.json'), 'utf8')) as Product[]
export const hasCurl = (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, 'curl')))

/** The newest modification time of any file under `dir`. */
function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }
  return newest
}

// The build starts in a fraction of the time tsx takes to compile the source, which matters with
// dozens of spawns on two cores; a build older than the source would test stale code, so then the
// source runs.
const built = join(root, 'dist/cli.js')
const fromSource = !existsSync(built) || statSync(built).mtimeMs < newestMtime(join(root, 'src')) ? '1' : '0'

/** The environment of a child: ours, minus any TMA_PAY_* / PORT setting of the developer's that would change its config. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TMA_PAY_CLI_FROM_SOURCE: fromSource, ...extra }
  for (const key of Object.keys(env)) {
    const keep =
      key in extra ||
      ['TMA_PAY_CLI_FROM_SOURCE', 'TMA_PAY_RECORD_DIR', 'TMA_PAY_TEST_DATABASE_URL'].includes(key)
    if ((key.startsWith('TMA_PAY_') || key === 'PORT') && !keep) delete env[key]
  }
  return env
}

/** Runs a command that ends by itself. */
export function run(
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: root, env: childEnv(extraEnv), timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })
}

export interface Served {
  child: ChildProcess
  apiUrl: string
  simUrl: string | undefined
  output(): string
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>
}

const running = new Set<ChildProcess>()
afterAll(() => {
  for (const child of running) child.kill('SIGKILL')
})

/** Starts `tma-pay serve` and resolves once it printed its banner. */
export async function serve(args: string[], extraEnv: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, [bin, 'serve', ...args], {
    cwd: root,
    env: childEnv(extraEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  let exitCode: number | null | undefined
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  exited.then((code) => {
    exitCode = code
    running.delete(child)
  })
  await eventually(() => {
    if (exitCode !== undefined) throw new Error(`tma-pay serve exited with ${exitCode}:\n${output}`)
    return /^tma-pay listening on /m.test(output)
  }, 30_000)
  // The banner is one write; give a split pipe read a moment to deliver the rest of it.
  await sleep(100)
  const started = output
  return {
    child,
    apiUrl: /^tma-pay listening on (http:\/\/\S+)$/m.exec(started)![1]!,
    simUrl: /Telegram simulator at (http:\/\/[^\s,]+)/.exec(started)?.[1],
    output: () => output,
    async stop() {
      child.kill('SIGTERM')
      return exited
    },
  }
}

/** The HTTP API as the Mini App calls it. */
export function api(apiUrl: string, initData: string) {
  const headers = { authorization: `tma ${initData}`, 'content-type': 'application/json' }
  return {
    async products() {
      return ((await (await fetch(`${apiUrl}/products`)).json()) as { data: Product[] }).data
    },
    async createOrder(productId: string) {
      const response = await fetch(`${apiUrl}/orders`, {
        method: 'POST',
        headers: { ...headers, 'idempotency-key': crypto.randomUUID() },
        body: JSON.stringify({ productId }),
      })
      expect(response.status).toBe(201)
      return (await response.json()) as Order
    },
    async order(id: string) {
      const response = await fetch(`${apiUrl}/orders/${id}`, { headers })
      expect(response.status).toBe(200)
      return (await response.json()) as Order
    },
    /** GET /orders: the user's orders, newest first. */
    async orders() {
      const response = await fetch(`${apiUrl}/orders`, { headers })
      expect(response.status).toBe(200)
      return ((await response.json()) as { data: Order[] }).data
    },
    async timeline(id: string) {
      const response = await fetch(`${apiUrl}/orders/${id}/timeline`, { headers })
      expect(response.status).toBe(200)
      return ((await response.json()) as { events: Array<{ status: string; detail?: unknown }> }).events
    },
  }
}

export async function initDataFromSim(simUrl: string, userId: number) {
  const { code, stdout, stderr } = await run(['init-data', '--sim', simUrl, '--user-id', String(userId)])
  expect(stderr).toBe('')
  expect(code).toBe(0)
  expect(stdout.trim()).toMatch(/(^|&)hash=[0-9a-f]{64}(&|$)/)
  return stdout.trim()
}

/** Init data, products, an order, `tma-pay pay`, and the order paid: the whole simulator flow of `serve`. */
export async function buyOnSimulator(served: Served, userId: number) {
  expect(served.simUrl).toBeDefined()
  const initData = await initDataFromSim(served.simUrl!, userId)
  const user = api(served.apiUrl, initData)
  expect((await user.products()).map((product) => product.id)).toEqual(examples.map((product) => product.id))
  const order = await user.createOrder('magic-book')
  expect(order).toMatchObject({
    userId,
    productId: 'magic-book',
    amount: 50,
    currency: 'XTR',
    status: 'created',
  })
  expect((await user.order(order.id)).id).toBe(order.id)

  const paid = await run(['pay', order.id, '--user-id', String(userId), '--sim', served.simUrl!])
  expect(paid.stderr).toBe('')
  expect(paid.code).toBe(0)
  expect(paid.stdout).toMatch(/^paid: Magic Book \(50 XTR\), order ord_/)
  const settled = await eventually(async () => {
    const current = await user.order(order.id)
    return current.status === 'paid' && current
  })
  expect(settled.telegramPaymentChargeId).toBeTruthy()
  return { order, initData }
}

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
