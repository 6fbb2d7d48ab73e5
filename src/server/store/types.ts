import type {
  ListOrdersParams,
  Order,
  OrderEvent,
  OrderEventKind,
  OrderStatus,
  Page,
  TimelineSource,
} from '../../core'

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
}

export interface PaymentResult {
  /** The order the payment belongs to, now paid; absent when the payload names no order of ours. */
  order?: Order
  /** False when this charge was recorded before (a redelivery): nothing changed. */
  applied: boolean
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
  reserveIdempotencyKey(
    userId: number,
    key: string,
    requestHash: string,
    orderId: string,
  ): Promise<IdempotencyReservation>
  releaseIdempotencyKey(userId: number, key: string): Promise<void>
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
  /**
   * Applies one event of the status machine under a row lock. `changed` is false when the event does
   * not apply to the order's status (the order comes back as it is); `undefined` when there is no such order.
   */
  applyEvent(
    orderId: string,
    kind: OrderEventKind,
    event: EventInput,
  ): Promise<{ order: Order; changed: boolean; previous: OrderStatus } | undefined>
  /** Records a charge and makes its order paid, with its timeline event and fulfilment job, exactly once per charge. */
  recordPayment(payment: PaymentRecord): Promise<PaymentResult>
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
  close(): Promise<void>
}
