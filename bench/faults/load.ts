// The steady load: payment i starts at i / rate seconds, by its own user (so the per-user rate limit of
// 30 orders a minute is never met). A payment is what a Mini App and Telegram do: POST /orders through
// the proxy with signed init data and an Idempotency-Key, repeated with the same key while the answer is
// a 502 or a network error; then the simulated user pays the invoice.
import { randomUUID } from 'node:crypto'
import type { Order } from '../../src/core'
import type { TelegramSimulator } from '../../src/testing/index'
import { benchProduct } from '../shared/product'

export interface PaymentAttempt {
  index: number
  userId: number
  idempotencyKey: string
  /** POST /orders requests sent for this payment (1 unless retried). */
  createRequests: number
  /** Answers that made the client repeat the request, by status (0 = network error). */
  createRetriedOn: Record<number, number>
  orderId?: string
  invoiceUrl?: string
  /** 201, or 200 when a repeat found the order the key had made. */
  createStatus?: number
  /** Why the order was never created, when it was not. */
  createError?: string
  /** The simulator's outcome, 'error' if pay() threw, undefined if no order was made to pay. */
  outcome?: 'paid' | 'refused' | 'cancelled' | 'no_answer' | 'error'
  payError?: string
  telegramPaymentChargeId?: string
}

/** Users of the bench's payments: 2_000_000 + index. */
export const userIdOf = (index: number) => 2_000_000 + index

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/**
 * How long a client keeps repeating one POST /orders before it gives up: past the server's 20 s
 * idempotency takeover (`idempotencyTakeoverMs`), so a key held by a killed instance is taken over.
 */
const createDeadlineMs = 45_000
const requestTimeoutMs = 15_000

/** Statuses a client repeats the same request on: the proxy's 502, any 5xx, and "the key is still in progress". */
function retryable(status: number, body: string): boolean {
  if (status >= 500) return true
  return status === 409 && body.includes('idempotency_in_progress')
}

async function createOrder(apiUrl: string, sim: TelegramSimulator, attempt: PaymentAttempt): Promise<void> {
  const deadline = Date.now() + createDeadlineMs
  for (let tries = 0; ; tries++) {
    attempt.createRequests++
    let status = 0
    let body = ''
    try {
      const response = await fetch(`${apiUrl}/orders`, {
        method: 'POST',
        headers: {
          authorization: `tma ${sim.signInitData(attempt.userId)}`,
          'content-type': 'application/json',
          'idempotency-key': attempt.idempotencyKey,
        },
        body: JSON.stringify({ productId: benchProduct.id }),
        signal: AbortSignal.timeout(requestTimeoutMs),
      })
      status = response.status
      body = await response.text()
    } catch (error) {
      body = error instanceof Error ? String(error.cause ?? error.message) : String(error)
    }
    if (status === 201 || status === 200) {
      const order = JSON.parse(body) as Order
      attempt.orderId = order.id
      attempt.invoiceUrl = order.invoiceUrl
      attempt.createStatus = status
      return
    }
    if (status !== 0 && !retryable(status, body)) {
      attempt.createError = `POST /orders answered ${status}: ${body.slice(0, 200)}`
      return
    }
    attempt.createRetriedOn[status] = (attempt.createRetriedOn[status] ?? 0) + 1
    if (Date.now() > deadline) {
      attempt.createError = `gave up after ${attempt.createRequests} requests; last: ${status || 'network error'} ${body.slice(0, 200)}`
      return
    }
    await sleep(Math.min(1000, 50 * 2 ** tries))
  }
}

async function onePayment(apiUrl: string, sim: TelegramSimulator, attempt: PaymentAttempt) {
  await createOrder(apiUrl, sim, attempt)
  if (!attempt.invoiceUrl) return
  try {
    const payment = await sim.pay(attempt.invoiceUrl, { userId: attempt.userId, outcome: 'paid' })
    attempt.outcome = payment.outcome
    if (payment.telegramPaymentChargeId) attempt.telegramPaymentChargeId = payment.telegramPaymentChargeId
  } catch (error) {
    attempt.outcome = 'error'
    attempt.payError = error instanceof Error ? error.message : String(error)
  }
}

/** Starts `count` payments at `rate` per second; resolves when every one has ended (paid, or given up). */
export async function runLoad(
  apiUrl: string,
  sim: TelegramSimulator,
  rate: number,
  count: number,
  signal: AbortSignal,
): Promise<PaymentAttempt[]> {
  const attempts: PaymentAttempt[] = []
  const running: Array<Promise<void>> = []
  const started = performance.now()
  for (let index = 0; index < count; index++) {
    signal.throwIfAborted()
    const due = started + (index * 1000) / rate
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    const attempt: PaymentAttempt = {
      index,
      userId: userIdOf(index),
      idempotencyKey: randomUUID(),
      createRequests: 0,
      createRetriedOn: {},
    }
    attempts.push(attempt)
    running.push(onePayment(apiUrl, sim, attempt))
  }
  await Promise.all(running)
  return attempts
}
