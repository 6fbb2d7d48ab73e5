import type {
  ListOrdersParams,
  Order,
  OrderEvent,
  OrderEventKind,
  OrderStatus,
  Page,
  TimelineSource,
} from '../../core'

/** The order insert lost its idempotency key to a takeover (see reserveIdempotencyKey); nothing was written. */
export class IdempotencyKeyTakenOver extends Error {
  constructor(orderId: string) {
    super(`The idempotency key of order ${orderId} was taken over by a later request.`)
  }
}

export interface EventInput {
  source: TimelineSource
  detail?: Record<string, unknown>
}

export interface ListOrdersFilter extends ListOrdersParams {
  /** Only this user's orders; absent for the admin view. */
  userId?: number
}

export type IdempotencyReservation =
  | { state: 'reserved' }
  | { state: 'existing'; orderId: string; requestHash: string; completed: boolean }

export interface PaymentRecord {
  telegramPaymentChargeId: string
  providerPaymentChargeId?: string
  /** The order id we put in the invoice payload. */
  invoicePayload: string
  userId: number
  amount: number
  currency: string
  source: TimelineSource
  subscriptionExpiresAt?: string
  /** `is_recurring`: a payment of a subscription (its first one too). */
  isRecurring?: boolean
  /** `is_first_recurring`: the payment that started the subscription; without it a recurring charge of a paid order is a renewal. */
  isFirstRecurring?: boolean
}

export interface PaymentResult {
  /** The order the payment belongs to, now paid; absent when the payload names no order of ours. */
  order?: Order
  /** False when this charge was recorded before (a redelivery): nothing changed. */
  applied: boolean
}

/** One change of an order: its timeline position (`seq`, the stream's event id) and the order after it. */
export interface OrderChange {
  seq: number
  order: Order
}

export interface OutboxJob {
  id: string
  orderId: string
  type: 'order.paid' | 'order.refunded'
  attempts: number
}

/**
 * What `claimRefund` found: `claimed` (this caller may refund; nobody else may until released or the
 * lease ends), `not_paid`, `refunded` (already), or `in_progress` (another caller holds the claim).
 */
export type RefundClaim = { state: 'claimed' | 'not_paid' | 'refunded' | 'in_progress'; order: Order }

/**
 * Persistence of the order service. Every method is atomic; two implementations share one SQL
 * schema: `pgliteStore` (embedded) and `postgresStore` (a server, for several instances).
 */
export interface PayStore {
  migrate(): Promise<void>
  /**
   * Reserves a key for `orderId`, or tells who holds it. A holder that has not made its order within
   * `takeoverAfterMs` (its instance died mid-creation) is replaced, if the request body is the same.
   */
  reserveIdempotencyKey(
    userId: number,
    key: string,
    requestHash: string,
    orderId: string,
    takeoverAfterMs: number,
  ): Promise<IdempotencyReservation>
  /** Lets a key go that did not produce an order, if `orderId` still holds it. */
  releaseIdempotencyKey(userId: number, key: string, orderId: string): Promise<void>
  /** The order id a key is held for, and whether its order exists yet; undefined when the key is free. */
  findIdempotencyKey(
    userId: number,
    key: string,
  ): Promise<{ orderId: string; completed: boolean } | undefined>
  /** Inserts the order with its first timeline event and completes its idempotency key, in one transaction. */
  insertOrder(order: Order, event: EventInput, idempotency?: { userId: number; key: string }): Promise<void>
  getOrder(orderId: string): Promise<Order | undefined>
  listOrders(filter: ListOrdersFilter): Promise<Page<Order>>
  countOrdersSince(userId: number, since: Date): Promise<number>
  timeline(orderId: string): Promise<OrderEvent[]>
  /** The order's changes after timeline position `afterSeq`, oldest first, each with the order as it was then. */
  orderChangesSince(orderId: string, afterSeq: number): Promise<OrderChange[]>
  /** The order as it is now, with the position of its latest change; undefined when there is no such order. */
  latestOrderChange(orderId: string): Promise<OrderChange | undefined>
  /**
   * Calls `listener(orderId)` after a change of any order commits: made by this process or, on a
   * PostgreSQL server, by any instance (LISTEN/NOTIFY). Resolves once listening; gives the way to stop.
   */
  listenForOrderChanges(listener: (orderId: string) => void): Promise<() => Promise<void>>
  /**
   * Applies one event of the status machine under a row lock. `changed` is false when the event does
   * not apply to the order's status (the order comes back as it is); `undefined` when there is no such order.
   */
  applyEvent(
    orderId: string,
    kind: OrderEventKind,
    event: EventInput,
  ): Promise<{ order: Order; changed: boolean; previous: OrderStatus } | undefined>
  /**
   * Records a charge and makes its order paid, with its timeline event and fulfilment job, exactly once per charge.
   * A recurring charge of a paid subscription order is a renewal: the order stays paid, takes the new charge
   * id and `subscription.expiresAt`, and gets no second fulfilment job (`onPaid` runs for the first payment only).
   */
  recordPayment(payment: PaymentRecord): Promise<PaymentResult>
  /** The user's subscription orders that were paid (paid or refunded), newest first. */
  listSubscriptions(userId: number): Promise<Order[]>
  /**
   * Sets `subscription.canceled` of a paid subscription order under a row lock, with its timeline event.
   * `changed` is false when the order is not a paid subscription (or already so); `undefined` when there is no such order.
   */
  setSubscriptionCanceled(
    orderId: string,
    canceled: boolean,
    event: EventInput,
  ): Promise<{ order: Order; changed: boolean } | undefined>
  /**
   * Claims the refund of a paid order for `leaseMs`, under a row lock, so one caller at a time asks
   * Telegram for it. `undefined` when there is no such order.
   */
  claimRefund(orderId: string, leaseMs: number): Promise<RefundClaim | undefined>
  /** Gives up a refund claim (Telegram refused the refund): the order stays paid. */
  releaseRefund(orderId: string): Promise<void>
  /**
   * Makes a paid order refunded, with its timeline event, `refundedAt` and an `order.refunded`
   * outbox job, in one transaction; clears any refund claim. `changed` is false when it was not paid
   * (already refunded: nothing happens twice).
   */
  applyRefund(orderId: string, event: EventInput): Promise<{ order: Order; changed: boolean } | undefined>
  /** Takes the next due fulfilment job and leases it for `leaseMs`, so no other worker runs it meanwhile. */
  claimOutboxJob(leaseMs: number): Promise<OutboxJob | undefined>
  completeOutboxJob(jobId: string): Promise<void>
  failOutboxJob(jobId: string, error: string, retryInMs: number): Promise<void>
  /** Ids of unsettled orders whose `expiresAt` (plus grace) has passed. */
  findExpired(before: Date, limit: number): Promise<string[]>
  /** Which of these charge ids are on record already (one query), so reconciliation applies only the others. */
  recordedChargeIds(chargeIds: string[]): Promise<string[]>
  close(): Promise<void>
}
