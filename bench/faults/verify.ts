// The reckoning: what Telegram (the simulator) took, against what the database says and what the app's
// backend (the notify receiver) was told. The simulator's own record is the truth about money taken.
import type postgres from 'postgres'
import type { TelegramSimulator } from '../../src/testing/index'
import type { PaymentAttempt } from './load'
import type { NotifyReceiver } from './receiver'

export interface Counts {
  /** Payments the load started. */
  attempted: number
  /** Orders the client got back (201, or 200 for a repeat that found the key's order). */
  ordersCreated: number
  /** Of those, got by a repeated POST /orders answered 200 (the first request's answer was lost). */
  ordersFoundByRepeat: number
  /** POST /orders requests in all, and how many were repeats, by what made the client repeat. */
  createRequests: number
  createRetries: number
  createRetriedOn: Record<string, number>
  /** Payments whose order the client never got (it gave up repeating). No money was taken for them. */
  createGaveUp: number
  /** The simulated user's outcomes. */
  outcomes: Record<string, number>
  /** Payments Telegram took: the simulator's incoming Star transactions. */
  taken: number
  /** Orders in the database with status paid, and rows in tma_pay_payments. */
  paidOrders: number
  paymentRows: number
  /** Taken by Telegram, but the order is not paid or the charge not in tma_pay_payments. */
  lost: number
  /** Orders with more than one charge (taken by Telegram, or recorded), or made twice for one idempotency key. */
  doubled: number
  /** Orders paid in the database for a charge Telegram never made. */
  paidWithoutCharge: number
  /** Orders the database holds per user beyond one (each user made one payment with one key). */
  extraOrdersForOneKey: number
  notifications: {
    /** POSTs the receiver took (good signature). */
    posts: number
    /** Distinct order.paid event ids. */
    distinctPaid: number
    /** POSTs of an id already received. */
    redeliveries: number
    /** Paid orders with no order.paid event. */
    missing: number
    /** Orders with two or more distinct order.paid ids. */
    doubled: number
    /** Events for orders that are not paid, or of another type. */
    unexpected: number
    /** POSTs refused for a bad signature or body. */
    rejected: number
    /** Outbox jobs not done when the bench stopped waiting. */
    outboxPending: number
  }
  webhook: {
    /** Updates Telegram made (pre_checkout_query, successful_payment). */
    updates: number
    /** POSTs to the webhook, first attempts and redeliveries. */
    deliveries: number
    redeliveries: number
    /** Attempts that got no 2xx, by status (0 = no connection / connection cut). */
    failedByStatus: Record<string, number>
    /** Updates Telegram gave up on (should never happen here: it retries until delivered). */
    gaveUp: number
    /** Updates still waiting for delivery when the bench stopped waiting. */
    undelivered: number
  }
  /** Lines naming the first problems found, for the report. */
  problems: string[]
}

interface OrderRow {
  id: string
  user_id: string
  status: string
  telegram_payment_charge_id: string | null
}
interface PaymentRow {
  telegram_payment_charge_id: string
  order_id: string | null
}

const increment = (record: Record<string, number>, key: string | number, by = 1) => {
  record[String(key)] = (record[String(key)] ?? 0) + by
}

export async function reckon(
  sql: postgres.Sql,
  sim: TelegramSimulator,
  receiver: NotifyReceiver,
  attempts: PaymentAttempt[],
  undelivered: number,
): Promise<Counts> {
  const problems: string[] = []
  const problem = (text: string) => {
    if (problems.length < 20) problems.push(text)
  }

  // The client's side.
  const createRetriedOn: Record<string, number> = {}
  const outcomes: Record<string, number> = {}
  for (const attempt of attempts) {
    for (const [status, times] of Object.entries(attempt.createRetriedOn))
      increment(createRetriedOn, status === '0' ? 'network error' : status, times)
    if (attempt.outcome) increment(outcomes, attempt.outcome)
    if (attempt.createError) problem(`payment ${attempt.index}: ${attempt.createError}`)
    if (attempt.payError) problem(`payment ${attempt.index}: pay() threw: ${attempt.payError}`)
  }

  // Telegram's side: every payment it took, by charge id, with the order (invoice payload) it was for.
  const taken = sim.transactions.filter((transaction) => transaction.source?.type === 'user')
  const chargesByOrder = new Map<string, string[]>()
  for (const transaction of taken) {
    const orderId = transaction.source?.invoice_payload ?? ''
    chargesByOrder.set(orderId, [...(chargesByOrder.get(orderId) ?? []), transaction.id])
  }
  const takenCharges = new Set(taken.map((transaction) => transaction.id))

  // The database's side.
  const orders = await sql<
    OrderRow[]
  >`select id, user_id, status, telegram_payment_charge_id from tma_pay_orders`
  const payments = await sql<PaymentRow[]>`select telegram_payment_charge_id, order_id from tma_pay_payments`
  const [pending] = await sql<{ n: string }[]>`select count(*) as n from tma_pay_outbox where done_at is null`
  const orderById = new Map(orders.map((order) => [order.id, order]))
  const paymentByCharge = new Map(payments.map((payment) => [payment.telegram_payment_charge_id, payment]))
  const paymentRowsByOrder = new Map<string, number>()
  for (const payment of payments)
    if (payment.order_id)
      paymentRowsByOrder.set(payment.order_id, (paymentRowsByOrder.get(payment.order_id) ?? 0) + 1)

  let lost = 0
  for (const transaction of taken) {
    const orderId = transaction.source?.invoice_payload ?? ''
    const order = orderById.get(orderId)
    const row = paymentByCharge.get(transaction.id)
    if (!row || row.order_id !== orderId || order?.status !== 'paid') {
      lost++
      problem(
        `LOST: charge ${transaction.id.slice(0, 16)}… for order ${orderId}: ` +
          `${row ? 'recorded' : 'not recorded'}, order ${order ? order.status : 'missing'}`,
      )
    }
  }

  let doubled = 0
  const doubledOrders = new Set<string>()
  for (const [orderId, charges] of chargesByOrder) if (charges.length > 1) doubledOrders.add(orderId)
  for (const [orderId, rows] of paymentRowsByOrder) if (rows > 1) doubledOrders.add(orderId)
  for (const orderId of doubledOrders) {
    doubled++
    problem(
      `DOUBLED: order ${orderId}: ${chargesByOrder.get(orderId)?.length ?? 0} charges taken, ` +
        `${paymentRowsByOrder.get(orderId) ?? 0} recorded`,
    )
  }

  let paidWithoutCharge = 0
  for (const order of orders)
    if (
      (order.status === 'paid' || order.telegram_payment_charge_id) &&
      !takenCharges.has(order.telegram_payment_charge_id ?? '')
    ) {
      paidWithoutCharge++
      problem(
        `order ${order.id} is ${order.status} with charge ${order.telegram_payment_charge_id}, which Telegram never made`,
      )
    }

  const ordersPerUser = new Map<string, number>()
  for (const order of orders) ordersPerUser.set(order.user_id, (ordersPerUser.get(order.user_id) ?? 0) + 1)
  let extraOrdersForOneKey = 0
  for (const [userId, count] of ordersPerUser)
    if (count > 1) {
      extraOrdersForOneKey += count - 1
      problem(`user ${userId} (one payment, one Idempotency-Key) has ${count} orders`)
    }
  doubled += extraOrdersForOneKey

  // The app backend's side: one distinct order.paid id per paid order.
  const paidIdsByOrder = new Map<string, string[]>()
  let unexpected = 0
  for (const event of receiver.events.values()) {
    if (event.type !== 'order.paid' || orderById.get(event.orderId)?.status !== 'paid') {
      unexpected++
      problem(`notification ${event.id} (${event.type}) for order ${event.orderId}, which is not paid`)
      continue
    }
    paidIdsByOrder.set(event.orderId, [...(paidIdsByOrder.get(event.orderId) ?? []), event.id])
  }
  let missing = 0
  let doubledNotifications = 0
  for (const order of orders) {
    if (order.status !== 'paid') continue
    const ids = paidIdsByOrder.get(order.id) ?? []
    if (ids.length === 0) {
      missing++
      problem(`order ${order.id} is paid but no order.paid notification arrived`)
    } else if (ids.length > 1) {
      doubledNotifications++
      problem(`order ${order.id} got ${ids.length} different order.paid ids: ${ids.join(', ')}`)
    }
  }
  const distinctPaid = [...paidIdsByOrder.values()].reduce((total, ids) => total + ids.length, 0)
  const posts = receiver.posts()

  // The webhook, from the simulator's record of every delivery attempt.
  const failedByStatus: Record<string, number> = {}
  let gaveUp = 0
  const updates = new Set<number>()
  for (const delivery of sim.deliveries) {
    updates.add(delivery.updateId)
    if (delivery.status < 200 || delivery.status >= 300) increment(failedByStatus, delivery.status)
    if (delivery.gaveUp) gaveUp++
  }
  if (gaveUp > 0) problem(`Telegram gave up on ${gaveUp} updates`)
  if (undelivered > 0) problem(`${undelivered} updates were still undelivered at the end`)

  return {
    attempted: attempts.length,
    ordersCreated: attempts.filter((attempt) => attempt.orderId).length,
    ordersFoundByRepeat: attempts.filter((attempt) => attempt.createStatus === 200).length,
    createRequests: attempts.reduce((total, attempt) => total + attempt.createRequests, 0),
    createRetries: attempts.reduce((total, attempt) => total + attempt.createRequests - 1, 0),
    createRetriedOn,
    createGaveUp: attempts.filter((attempt) => attempt.createError).length,
    outcomes,
    taken: taken.length,
    paidOrders: orders.filter((order) => order.status === 'paid').length,
    paymentRows: payments.length,
    lost,
    doubled,
    paidWithoutCharge,
    extraOrdersForOneKey,
    notifications: {
      posts,
      distinctPaid,
      redeliveries: posts - receiver.events.size,
      missing,
      doubled: doubledNotifications,
      unexpected,
      rejected: receiver.rejected(),
      outboxPending: Number(pending?.n ?? 0),
    },
    webhook: {
      updates: updates.size,
      deliveries: sim.deliveries.length,
      redeliveries: sim.deliveries.filter((delivery) => delivery.attempt > 1).length,
      failedByStatus,
      gaveUp,
      undelivered,
    },
    problems,
  }
}

/** Whether the run failed: money lost or doubled, notifications off, or Telegram left holding updates. */
export function failed(counts: Counts): boolean {
  const n = counts.notifications
  return (
    counts.lost > 0 ||
    counts.doubled > 0 ||
    counts.paidWithoutCharge > 0 ||
    n.missing > 0 ||
    n.doubled > 0 ||
    n.unexpected > 0 ||
    n.rejected > 0 ||
    n.distinctPaid !== counts.paidOrders ||
    counts.paidOrders !== counts.taken ||
    counts.webhook.gaveUp > 0 ||
    counts.webhook.undelivered > 0
  )
}
