// A server paid for through the Telegram simulator, as a load target: tma-pay, or the hand-written shop. A payment
// is what a Mini App and Telegram do: POST /orders, then the user pays (pre_checkout_query →
// answerPreCheckoutQuery → successful_payment); the step times come from the fetch tap.
import { randomUUID } from 'node:crypto'
import type { TelegramSimulator } from '../../src/testing/index'
import type { FetchTap } from '../shared/fetch-tap'
import { benchProduct } from '../shared/product'
import type { StepTimes, Target, TargetName } from './load'

const requestTimeoutMs = 30_000
const signalFor = (signal: AbortSignal) => AbortSignal.any([signal, AbortSignal.timeout(requestTimeoutMs)])

/** Users of the measured payments are 1_000_000 + index: one order each, under any per-user limit. */
export const userIdOf = (index: number) => 1_000_000 + index

export interface SimulatedServer {
  sim: TelegramSimulator
  /** The server's base URL: POST /orders and GET /orders/:id are under it. */
  apiUrl: string
  tap: FetchTap
  pid: number
  serverErrors(): number
  stop(): Promise<void>
}

interface CreatedOrder {
  id: string
  status: string
  invoiceUrl: string
}

export function simulatorTarget(name: TargetName, served: SimulatedServer): Target {
  const { sim, apiUrl, tap } = served
  const made: Array<{ orderId: string; userId: number }> = []
  let deliveriesChecked = 0

  const auth = (userId: number) => `tma ${sim.signInitData(userId)}`

  return {
    name,
    pid: served.pid,
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
      const order = JSON.parse(body) as CreatedOrder
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
          const order = (await response.json()) as CreatedOrder
          if (order.status !== 'paid') problems.push(`order ${next.orderId} is ${order.status}, not paid`)
        }
      }
      await Promise.all(Array.from({ length: 8 }, check))
      return problems
    },

    serverErrors: served.serverErrors,
    stop: served.stop,
  }
}
