// tma-pay as deployed: `tma-pay serve` in a child process, on the Telegram simulator running in this one.
// A payment is what a Mini App and Telegram do: POST /orders, then the user pays (pre_checkout_query →
// answerPreCheckoutQuery → successful_payment).
import { randomBytes, randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { Order } from '../../src/core'
import { createTelegramSimulator } from '../../src/testing/index'
import type { Database } from './databases'
import { tapWebhookDeliveries } from './fetch-tap'
import type { StepTimes, Target } from './load'
import { type Child, childEnv, freePort, startChild } from './processes'
import { benchProduct } from './product'

const requestTimeoutMs = 30_000
const signalFor = (signal: AbortSignal) => AbortSignal.any([signal, AbortSignal.timeout(requestTimeoutMs)])

/** Users of the measured payments are 1_000_000 + index: one order each, under any per-user limit. */
export const userIdOf = (index: number) => 1_000_000 + index

async function startServe(
  repoRoot: string,
  productsFile: string,
  store: Database,
  sim: { url: string; botToken: string },
  secret: string,
) {
  // --public-url needs the port before the server binds it; another process may grab it meanwhile, so retry.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const args = [
      join(repoRoot, 'bin/tma-pay.mjs'),
      'serve',
      ['--port', String(port)],
      ['--host', '127.0.0.1'],
      ['--products', productsFile],
      ['--store', store.spec],
      ['--bot-token', sim.botToken],
      ['--api-root', sim.url],
      ['--webhook-secret', secret],
      ['--public-url', `http://127.0.0.1:${port}`],
    ].flat()
    try {
      return await startChild(process.execPath, args, {
        cwd: repoRoot,
        // The source, not a dist/ build that may be older than the checkout being measured.
        env: childEnv({ TMA_PAY_CLI_FROM_SOURCE: '1' }),
        ready: /^tma-pay listening on (http:\/\/\S+)$/m,
        timeoutMs: 60_000,
        count: { logged: /\[tma-pay\]/ },
      })
    } catch (error) {
      if (attempt >= 3 || !/is in use/.test(String(error))) throw error
    }
  }
}

export async function startTmaPayTarget(
  repoRoot: string,
  productsFile: string,
  store: Database,
): Promise<Target> {
  // No redeliveries: a failed webhook is an error of this run, not something to paper over 200 ms later.
  const sim = await createTelegramSimulator({ recordDir: false, retryDelaysMs: [] })
  let child: Child | undefined
  try {
    child = await startServe(repoRoot, productsFile, store, sim, randomBytes(24).toString('base64url'))
  } catch (error) {
    await sim.close()
    throw error
  }
  const server = child
  const apiUrl = server.ready[1]!
  const webhookUrl = sim.webhook?.url
  if (webhookUrl !== `${apiUrl}/telegram/webhook`) {
    await server.stop()
    await sim.close()
    throw new Error(`tma-pay serve set the webhook to ${webhookUrl}, not ${apiUrl}/telegram/webhook`)
  }
  const tap = tapWebhookDeliveries(webhookUrl)
  const made: Array<{ orderId: string; userId: number }> = []
  let deliveriesChecked = 0

  const auth = (userId: number) => `tma ${sim.signInitData(userId)}`

  return {
    name: 'tma-pay',
    pid: server.pid,
    async pay(index, signal): Promise<StepTimes> {
      const userId = userIdOf(index)
      const authorization = auth(userId)
      const started = performance.now()
      const response = await fetch(`${apiUrl}/orders`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: JSON.stringify({ productId: benchProduct.id }),
        signal: signalFor(signal),
      })
      const body = await response.text()
      if (response.status !== 201) throw new Error(`POST /orders answered ${response.status}: ${body}`)
      const order = JSON.parse(body) as Order
      const created = performance.now()
      const payment = await sim.pay(order.invoiceUrl, { userId })
      const paid = performance.now()
      const times = tap.take(order.id)
      if (payment.outcome !== 'paid') throw new Error(`the simulator's payment ended ${payment.outcome}`)
      if (times?.preCheckoutSent === undefined || times.paymentSent === undefined)
        throw new Error(`no webhook delivery seen for ${order.id}`)
      if (times.paymentStatus === undefined || times.paymentStatus >= 300)
        throw new Error(`successful_payment answered ${times.paymentStatus}`)
      made.push({ orderId: order.id, userId })
      return {
        create: created - started,
        preCheckout: times.paymentSent - times.preCheckoutSent,
        payment: times.paymentAnswered! - times.paymentSent,
        whole: paid - started,
      }
    },

    async verify(signal) {
      const problems: string[] = []
      for (const delivery of sim.deliveries.slice(deliveriesChecked))
        if (delivery.status < 200 || delivery.status >= 300)
          problems.push(
            `webhook delivery of update ${delivery.updateId} got ${delivery.status} ${delivery.error ?? ''}`,
          )
      deliveriesChecked = sim.deliveries.length
      // What the Mini App would see: each order, read back through the API, is paid.
      const orders = made.splice(0)
      const check = async () => {
        for (let next = orders.shift(); next; next = orders.shift()) {
          const response = await fetch(`${apiUrl}/orders/${next.orderId}`, {
            headers: { authorization: auth(next.userId) },
            signal: signalFor(signal),
          })
          const order = (await response.json()) as Order
          if (order.status !== 'paid') problems.push(`order ${next.orderId} is ${order.status}, not paid`)
        }
      }
      await Promise.all(Array.from({ length: 8 }, check))
      return problems
    },

    serverErrors: () => server.counts().logged ?? 0,

    async stop() {
      tap.restore()
      await server.stop()
      await sim.close()
    },
  }
}
