// tma-pay as deployed: `tma-pay serve` in a child process, on the Telegram simulator running in this one.
// A payment is what a Mini App and Telegram do: POST /orders, then the user pays (pre_checkout_query →
// answerPreCheckoutQuery → successful_payment).
import { randomUUID } from 'node:crypto'
import type { Order } from '../../src/core'
import type { Database } from '../shared/databases'
import { benchProduct } from '../shared/product'
import { startServeOnSimulator } from '../shared/serve'
import type { StepTimes, Target } from './load'

const requestTimeoutMs = 30_000
const signalFor = (signal: AbortSignal) => AbortSignal.any([signal, AbortSignal.timeout(requestTimeoutMs)])

/** Users of the measured payments are 1_000_000 + index: one order each, under any per-user limit. */
export const userIdOf = (index: number) => 1_000_000 + index

export async function startTmaPayTarget(
  repoRoot: string,
  productsFile: string,
  store: Database,
): Promise<Target> {
  const { sim, server, apiUrl, tap, stop } = await startServeOnSimulator(repoRoot, productsFile, store)
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

    stop,
  }
}
