// The baseline as a load target: its server in a child process, a payment as three plain HTTP requests
// (create, pre-checkout, pay), the client playing both the Mini App and Telegram.
import { randomBytes, randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { Database } from '../shared/databases'
import { childEnv, startChild } from '../shared/processes'
import { benchProduct } from '../shared/product'
import type { StepTimes, Target } from './load'
import { userIdOf } from './sim-target'

const requestTimeoutMs = 30_000

export async function startBaselineTarget(
  repoRoot: string,
  store: Database,
  node: string[] = [process.execPath],
): Promise<Target> {
  const server = await startChild(
    node[0]!,
    [
      ...node.slice(1),
      '--import',
      'tsx',
      join(repoRoot, 'bench/server/baseline-server.ts'),
      '--store',
      store.spec,
    ],
    {
      cwd: repoRoot,
      env: childEnv(),
      ready: /^baseline listening on (http:\/\/\S+)$/m,
      timeoutMs: node[0] === process.execPath ? 60_000 : 600_000,
      count: { logged: /^baseline: / },
    },
  )
  const url = server.ready[1]!

  async function post(path: string, body: object, signal: AbortSignal, headers: Record<string, string> = {}) {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.any([signal, AbortSignal.timeout(requestTimeoutMs)]),
    })
    const text = await response.text()
    if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${text}`)
    return JSON.parse(text) as Record<string, unknown>
  }

  return {
    name: 'bare-sql',
    pid: server.pid,
    async pay(index, signal): Promise<StepTimes> {
      const userId = userIdOf(index)
      const started = performance.now()
      const order = await post('/orders', { productId: benchProduct.id }, signal, {
        'x-user-id': String(userId),
        'idempotency-key': randomUUID(),
      })
      const created = performance.now()
      const orderPath = `/orders/${encodeURIComponent(String(order.id))}`
      const query = { id: randomUUID(), userId, totalAmount: order.amount, currency: order.currency }
      await post(`${orderPath}/pre-checkout`, query, signal)
      const approved = performance.now()
      const charge = {
        chargeId: `stxbench${randomBytes(12).toString('hex')}`,
        userId,
        amount: order.amount,
        currency: order.currency,
      }
      const paid = await post(`${orderPath}/pay`, charge, signal)
      const done = performance.now()
      if (paid.status !== 'paid')
        throw new Error(`the baseline's order ${order.id} is ${paid.status}, not paid`)
      return {
        create: created - started,
        preCheckout: approved - created,
        payment: done - approved,
        whole: done - started,
      }
    },
    // Each payment already checked its order came back paid.
    verify: async () => [],
    serverErrors: () => server.counts().logged ?? 0,
    stop: () => server.stop(),
  }
}
