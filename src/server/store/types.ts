import type {
  Entitlement,
  EntitlementEvent,
  ListOrdersParams,
  Order,
  OrderEvent,
  OrderEventKind,
  OrderStatus,
  Page,
  ProductKind,
  TimelineSource,
} from '../../core'

/** The order insert lost its idempotency key to a takeover (see reserveIdempotencyKey); nothing was written. */
export class IdempotencyKeyTakenOver extends Error {
  constructor(orderId: string) {
    super(`The idempotency key of order ${orderId} was taken over by a later request.`)
  }
}

/** What an order sells, fixed when it is created: its product's kind, and a pass's access time in seconds. */
export interface PurchaseTerms {
  kind: ProductKind
  /** A pass's `durationSeconds` × quantity. */
  accessSeconds?: number
}

/** A change of an entitlement, for its timeline. */
export interface EntitlementChange {
  action: EntitlementEvent['action']
  source: TimelineSource
  orderId?: string
  seconds?: number
  detail?: Record<string, unknown>
}

export interface EventInput {
  source: TimelineSource
  detail?: Record<string, unknown>
}

export interface ListOrdersFilter extends ListOrdersParams {
  /** Only this user's orders; absent for the admin view. */
  userId?: number
}

/** A creation slot of the per-user limit (see `takeCreationSlot`): `max` creations per `windowMs`. */
export interface CreationSlot {
  max: number
  windowMs: number
}

export type IdempotencyReservation =
  /** `slotTaken` when a creation slot was asked for with the reservation: whether one was left. */
  | { state: 'reserved'; slotTaken?: boolean }
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
  /** `is_first_recurring`: the payment that started the subscription; without it a recurring charge of a paid order is a renewal. */
  isFirstRecurring?: boolean
  /** Telegram's ledger shows the charge refunded already (reconciliation found both directions). */
  refunded?: boolean
}

/** What recording a charge did. Every charge is kept (for a refund), whatever its outcome. */
export type RecordedPayment =
  /** The charge paid its order, or (`renewed`) moved its subscription one period on. */
  | { outcome: 'paid' | 'renewed'; order: Order }
  /** Refunded in Telegram before it reached us: the order ends refunded, and no fulfilment runs. */
  | { outcome: 'refunded'; order: Order }
  /**
   * The order stays as it was: a second charge of a paid order (`duplicate`), or one whose amount, currency or
   * payer is not the order's (`mismatch`, possible only with a leaked webhook secret or a bug). On its timeline.
   */
  | { outcome: 'duplicate' | 'mismatch'; order: Order; detail: Record<string, unknown> }
  /** The charge was on record already (a redelivery): nothing changed. */
  | { outcome: 'known'; order?: Order }
  /** The payload names no order of ours. */
  | { outcome: 'orphan' }

/** What a refund of one charge did to its order. */
export type RefundOutcome =
  /** The order's current charge: the order is refunded now, with an `order.refunded` job. */
  | 'refunded'
  /** An older charge (a subscription's earlier period, a duplicate): on the timeline; the order stays as it is. */
  | 'charge_refunded'
  /** Refunded before (a redelivery, or the echo of our own refund): nothing changed. */
  | 'known'
  /** Nothing was written: another caller's refund of the order is under way (see `yieldToClaimMs`). */
  | 'in_progress'

/** A charge on record: its order (none for an orphan charge) and whether it was refunded. */
export interface ChargeState {
  orderId?: string
  refunded: boolean
}

/** One change of an order: its timeline position (`seq`, the stream's event id) and the order after it. */
export interface OrderChange {
  seq: number
  order: Order
}

/** A change as its notification carries it (when it fits in one), so a stream can send it without a read. */
export interface NotifiedOrderChange {
  /** The change's position on the order's timeline (its stream event id), read without parsing the change. */
  seq: number
  /** The order's change before this one (0 for its first): a stream that sent that one can send this one as it is. */
  previousSeq: number
  /** The change; its JSON is parsed on the first call. Throws on a payload that is not JSON. */
  change(): OrderChange
}

export interface OutboxJob {
  id: string
  orderId: string
  /** `order.duplicate`: a non-consumable paid while owned already; refunded with `refundDuplicatePurchases`. */
  type: 'order.paid' | 'order.refunded' | 'order.duplicate'
  attempts: number
  /** The order as it was when the job was claimed, when the store reads it with the claim; else the worker reads it. */
  order?: Order
}

/**
 * What `claimRefund` found: `claimed` (this caller may refund; nobody else may until released or the
 * lease ends), `not_paid`, `refunded` (already), or `in_progress` (another caller holds the claim).
 */
export type RefundClaim = { state: 'claimed' | 'not_paid' | 'refunded' | 'in_progress'; order: Order }

/**
 * Persistence of the order service. Every method is atomic; two implementations share one SQL
 * schema: `pgliteStore` (embedded) and `postgresStore` (a server, for several instances).
 *
 * Exported as a type only, for `createPayServer({ store })` and for passing a store around (tests, a shared
 * instance); its methods are the order service's internals, not an interface to implement. Every guarantee
 * (exactly once, the outbox, the creation limit) rests on their SQL, so a store of your own is not supported:
 * take `postgresStore` for a database you run.
 */
export interface PayStore {
  migrate(): Promise<void>
  /**
   * How many migrations the database has run (`applied`) of the ones this version knows (`latest`), read without
   * migrating: what `tma-pay doctor` reports. Optional, for stores of your own.
   */
  migrationStatus?(): Promise<{ applied: number; latest: number }>
  /**
   * Reserves a key for `orderId`, or tells who holds it. A holder that has not made its order within
   * `takeoverAfterMs` (its instance died mid-creation) is replaced, if the request body is the same. With `slot`,
   * a creation slot (`takeCreationSlot`) is taken atomically with a reservation, and none without one.
   */
  reserveIdempotencyKey(
    userId: number,
    key: string,
    requestHash: string,
    orderId: string,
    takeoverAfterMs: number,
    slot?: CreationSlot,
  ): Promise<IdempotencyReservation>
  /** Lets a key go that did not produce an order, if `orderId` still holds it. */
  releaseIdempotencyKey(userId: number, key: string, orderId: string): Promise<void>
  /**
   * Inserts the order (with what it sells) and its first timeline event, and completes its idempotency key, in
   * one transaction.
   */
  insertOrder(
    order: Order,
    event: EventInput,
    options?: { idempotency?: { userId: number; key: string }; terms?: PurchaseTerms },
  ): Promise<void>
  getOrder(orderId: string): Promise<Order | undefined>
  listOrders(filter: ListOrdersFilter): Promise<Page<Order>>
  /**
   * Takes one of the `max` order creations a user may start per `windowMs` (a fixed window), atomically: false
   * when none is left. Concurrent callers never take more than `max` between them.
   */
  takeCreationSlot(userId: number, max: number, windowMs: number): Promise<boolean>
  timeline(orderId: string): Promise<OrderEvent[]>
  /** The order's changes after timeline position `afterSeq`, oldest first, each with the order as it was then. */
  orderChangesSince(orderId: string, afterSeq: number): Promise<OrderChange[]>
  /** The order as it is now, with the position of its latest change; undefined when there is no such order. */
  latestOrderChange(orderId: string): Promise<OrderChange | undefined>
  /**
   * Calls `listener(orderId, notified)` after a change of any order commits: made by this process or, on a
   * PostgreSQL server, by any instance (LISTEN/NOTIFY). `notified` is the change itself when its notification
   * could carry it (under 8000 bytes). Resolves once listening; gives the way to stop.
   */
  listenForOrderChanges(
    listener: (orderId: string, notified?: NotifiedOrderChange) => void,
  ): Promise<() => Promise<void>>
  /**
   * Applies one event of the status machine under a row lock. `changed` is false when the event does
   * not apply to the order's status (the order comes back as it is), or when the order's timeline holds
   * `maxEventsFromSource` events of this event's source already; `undefined` when there is no such order.
   */
  applyEvent(
    orderId: string,
    kind: OrderEventKind,
    event: EventInput,
    options?: { maxEventsFromSource?: number },
  ): Promise<{ order: Order; changed: boolean; previous: OrderStatus } | undefined>
  /**
   * Records a charge and makes its order paid, with its timeline event and fulfilment job, exactly once per charge.
   * A recurring charge of a paid subscription order is a renewal: the order stays paid, takes the new charge
   * id and `subscription.expiresAt`, and gets no second fulfilment job (`onPaid` runs for the first payment only).
   * A charge that does not match its order (amount, currency, payer) is kept but pays nothing.
   */
  recordPayment(payment: PaymentRecord): Promise<RecordedPayment>
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
   * Records the refund of one charge, in one transaction with what it does to the order: the order's current
   * charge makes it refunded (timeline event, `refundedAt`, an `order.refunded` job); an older charge is noted
   * on its timeline only. Clears any refund claim. `undefined` when there is no such order. With
   * `yieldToClaimMs`, a refund claim younger than that (an admin refund between Telegram's answer and its own
   * write) makes it write nothing and answer `in_progress`, so that refund is recorded as its own.
   */
  applyRefund(
    orderId: string,
    telegramPaymentChargeId: string,
    event: EventInput,
    options?: { yieldToClaimMs?: number },
  ): Promise<{ order: Order; outcome: RefundOutcome } | undefined>
  /**
   * The user's entitlements: non-consumables and passes (also ended ones, inactive), and the newest paid or
   * refunded order of each subscription product.
   */
  listEntitlements(userId: number): Promise<Entitlement[]>
  /** The user's non-consumable or pass of a product, active or not; undefined when never granted. */
  getEntitlement(userId: number, productId: string): Promise<Entitlement | undefined>
  /** The user's newest unpaid, unsettled order (created, pending, processing) of a product. */
  findOpenOrder(userId: number, productId: string): Promise<Order | undefined>
  /** Grants a non-consumable, or `seconds` more of a pass, without a payment. */
  grantEntitlement(
    userId: number,
    productId: string,
    kind: 'non-consumable' | 'pass',
    seconds: number | undefined,
    change: Omit<EntitlementChange, 'action' | 'seconds'>,
  ): Promise<{ entitlement: Entitlement; changed: boolean }>
  /** Ends an entitlement now. `undefined` when the user never had it. */
  revokeEntitlement(
    userId: number,
    productId: string,
    change: Omit<EntitlementChange, 'action' | 'seconds'>,
  ): Promise<{ entitlement: Entitlement; changed: boolean } | undefined>
  /** Every change of a user's entitlement to a product, oldest first. */
  entitlementTimeline(userId: number, productId: string): Promise<EntitlementEvent[]>
  /** Takes the next due fulfilment job and leases it for `leaseMs`, so no other worker runs it meanwhile. */
  claimOutboxJob(leaseMs: number): Promise<OutboxJob | undefined>
  /** Marks a job done; with `next`, also claims the next due job as `claimOutboxJob` does, in the same statement. */
  completeOutboxJob(jobId: string, next?: { leaseMs: number }): Promise<OutboxJob | undefined>
  /**
   * Marks up to `limit` due jobs done without running them (those `claimOutboxJob` would take), for a worker with no
   * handler for any job type; how many.
   */
  completeDueOutboxJobs(limit: number): Promise<number>
  failOutboxJob(jobId: string, error: string, retryInMs: number): Promise<void>
  /** Jobs not done, and how long the oldest due one has waited, in seconds (0 when none is due): for metrics. */
  outboxBacklog(): Promise<{ pending: number; oldestDueSeconds: number }>
  /**
   * Ids of expirable orders past their deadline: `expiresAt` before `before`, and for a `processing` order
   * also its approval (last change) before `processingBefore` (see `expiryDeadline` in core).
   */
  findExpired(before: Date, processingBefore: Date, limit: number): Promise<string[]>
  /** Which of these charge ids are on record, and refunded (one query), so reconciliation applies only what is new. */
  chargeStates(chargeIds: string[]): Promise<Map<string, ChargeState>>
  close(): Promise<void>
}
