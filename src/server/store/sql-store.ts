import type { Order, OrderEvent, OrderStatus } from '../../core'
import { newEventId } from '../../core/ids'
import { EXPIRABLE_STATUSES } from '../../core/order-rules'
import { nextStatus } from '../../core/transitions'
import { migrations } from './schema'
import type { SqlDriver, SqlExecutor } from './sql'
import {
  type EventInput,
  IdempotencyKeyTakenOver,
  type IdempotencyReservation,
  type ListOrdersFilter,
  type OrderChange,
  type OutboxJob,
  type PaymentRecord,
  type PayStore,
  type RecordedPayment,
  type RefundClaim,
  type RefundOutcome,
} from './types'

type Row = Record<string, unknown>

const iso = (value: unknown): string =>
  (value instanceof Date ? value : new Date(String(value))).toISOString()
const isoOrUndefined = (value: unknown) => (value === null || value === undefined ? undefined : iso(value))
const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value)

function orderFromRow(row: Row): Order {
  const order: Order = {
    id: String(row.id),
    userId: Number(row.user_id),
    productId: String(row.product_id),
    title: String(row.title),
    description: String(row.description),
    quantity: Number(row.quantity),
    amount: Number(row.amount),
    currency: String(row.currency),
    status: row.status as OrderStatus,
    invoiceUrl: String(row.invoice_url),
    metadata: json(row.metadata) ?? {},
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    expiresAt: iso(row.expires_at),
  }
  if (row.photo_url != null) order.photoUrl = String(row.photo_url)
  if (row.telegram_payment_charge_id != null)
    order.telegramPaymentChargeId = String(row.telegram_payment_charge_id)
  if (row.subscription != null) order.subscription = json(row.subscription)
  const paidAt = isoOrUndefined(row.paid_at)
  if (paidAt) order.paidAt = paidAt
  const refundedAt = isoOrUndefined(row.refunded_at)
  if (refundedAt) order.refundedAt = refundedAt
  return order
}

function eventFromRow(row: Row): OrderEvent {
  return {
    at: iso(row.at),
    status: row.status as OrderStatus,
    source: row.source as OrderEvent['source'],
    detail: json(row.detail) ?? {},
  }
}

/** The channel every instance LISTENs on; the payload is the changed order's id. */
export const ORDER_CHANGES_CHANNEL = 'tma_pay_order_changes'

/**
 * Writes one timeline event with the order as it is after the change, and tells every listening
 * instance. NOTIFY inside the transaction is delivered on commit, and never for a rolled-back one.
 */
async function insertEvent(tx: SqlExecutor, order: Order, event: EventInput, at: Date) {
  await tx.query(
    `insert into tma_pay_order_events (order_id, at, status, source, detail, snapshot)
     values ($1, $2, $3, $4, $5::jsonb, $6::jsonb)`,
    [order.id, at, order.status, event.source, JSON.stringify(event.detail ?? {}), JSON.stringify(order)],
  )
  await tx.query('select pg_notify($1, $2)', [ORDER_CHANGES_CHANNEL, order.id])
}

async function lockOrder(tx: SqlExecutor, orderId: string): Promise<Order | undefined> {
  const [row] = await tx.query('select * from tma_pay_orders where id = $1 for update', [orderId])
  return row ? orderFromRow(row) : undefined
}

const expirableStatuses = EXPIRABLE_STATUSES.map((status) => `'${status}'`).join(', ')

/** How a charge differs from its order (amount, currency, payer), or undefined when it is the order's. */
function paymentMismatch(order: Order, payment: PaymentRecord): Record<string, unknown> | undefined {
  const differs: Record<string, unknown> = {}
  if (payment.amount !== order.amount) differs.amount = { order: order.amount, paid: payment.amount }
  if (payment.currency !== order.currency)
    differs.currency = { order: order.currency, paid: payment.currency }
  if (payment.userId !== order.userId) differs.userId = { order: order.userId, paid: payment.userId }
  return Object.keys(differs).length > 0 ? differs : undefined
}

/** Makes the (locked, paid) order refunded with its timeline event; the caller decides on an outbox job. */
async function markRefunded(tx: SqlExecutor, order: Order, event: EventInput, now: Date): Promise<Order> {
  const [row] = await tx.query(
    `update tma_pay_orders set status = 'refunded', updated_at = $2, refunded_at = $2, refund_started_at = null
     where id = $1 returning *`,
    [order.id, now],
  )
  const refunded = orderFromRow(row!)
  await insertEvent(tx, refunded, event, now)
  return refunded
}

/** A new charge of a paid subscription order, one period on (`is_recurring`, not the first payment). */
const isRenewal = (
  order: Order,
  payment: PaymentRecord,
): payment is PaymentRecord & { subscriptionExpiresAt: string } =>
  order.status === 'paid' &&
  !!order.subscription &&
  !!payment.subscriptionExpiresAt &&
  !payment.isFirstRecurring

/**
 * Renews the subscription on its order: it stays paid, its charge id becomes the new one (refunds and
 * editUserStarSubscription act on the latest) and `expiresAt` moves on. A renewal delivered after a
 * later one (out of order) is kept on the timeline but moves nothing back.
 */
async function applyRenewal(
  tx: SqlExecutor,
  order: Order,
  payment: PaymentRecord & { subscriptionExpiresAt: string },
  now: Date,
): Promise<Order> {
  const current = order.subscription?.expiresAt
  const latest = !current || Date.parse(payment.subscriptionExpiresAt) > Date.parse(current)
  const [row] = latest
    ? await tx.query(
        `update tma_pay_orders set telegram_payment_charge_id = $2, updated_at = $3, subscription = $4::jsonb
         where id = $1 returning *`,
        [
          order.id,
          payment.telegramPaymentChargeId,
          now,
          JSON.stringify({
            ...order.subscription,
            expiresAt: payment.subscriptionExpiresAt,
            canceled: false,
          }),
        ],
      )
    : await tx.query('update tma_pay_orders set updated_at = $2 where id = $1 returning *', [order.id, now])
  const renewed = orderFromRow(row!)
  const detail = {
    renewal: true,
    telegramPaymentChargeId: payment.telegramPaymentChargeId,
    amount: payment.amount,
    subscriptionExpiresAt: payment.subscriptionExpiresAt,
    ...(latest ? {} : { outOfOrder: true }),
  }
  await insertEvent(tx, renewed, { source: payment.source, detail }, now)
  return renewed
}

/** The PayStore over any PostgreSQL connection: PGlite or a server. */
export class SqlPayStore implements PayStore {
  private readonly connection: Promise<SqlDriver>

  /** Takes the driver or its promise, so an embedded database can still be opening. */
  constructor(driver: SqlDriver | Promise<SqlDriver>) {
    this.connection = Promise.resolve(driver)
    // A failed open surfaces on the first call, not as an unhandled rejection.
    this.connection.catch(() => {})
  }

  async migrate(): Promise<void> {
    await (await this.connection).transaction(async (tx) => {
      // Several instances may start at once; the advisory lock makes one of them migrate.
      await tx.query('select pg_advisory_xact_lock(7316204)')
      await tx.query(
        'create table if not exists tma_pay_migrations (version integer primary key, applied_at timestamptz not null default now())',
      )
      const done = await tx.query<{ version: number }>('select version from tma_pay_migrations')
      const applied = new Set(done.map((row) => Number(row.version)))
      for (const [index, sql] of migrations.entries()) {
        if (applied.has(index + 1)) continue
        for (const statement of sql
          .split(/;\s*$/m)
          .map((s) => s.trim())
          .filter(Boolean))
          await tx.query(statement)
        await tx.query('insert into tma_pay_migrations (version) values ($1)', [index + 1])
      }
    })
  }

  async reserveIdempotencyKey(
    userId: number,
    key: string,
    requestHash: string,
    orderId: string,
    takeoverAfterMs: number,
  ): Promise<IdempotencyReservation> {
    // A reservation that never became an order (its instance died while Telegram made the invoice link)
    // is taken over once stale, by a request with the same body; else the key would be stuck forever.
    const inserted = await (await this.connection).query(
      `insert into tma_pay_idempotency_keys (user_id, key, request_hash, order_id) values ($1, $2, $3, $4)
       on conflict (user_id, key) do update set order_id = excluded.order_id, created_at = now()
         where not tma_pay_idempotency_keys.completed
           and tma_pay_idempotency_keys.request_hash = excluded.request_hash
           and tma_pay_idempotency_keys.created_at < now() - ($5 || ' milliseconds')::interval
       returning key`,
      [userId, key, requestHash, orderId, String(takeoverAfterMs)],
    )
    if (inserted.length > 0) return { state: 'reserved' as const }
    const [row] = await (await this.connection).query(
      'select * from tma_pay_idempotency_keys where user_id = $1 and key = $2',
      [userId, key],
    )
    if (!row) return this.reserveIdempotencyKey(userId, key, requestHash, orderId, takeoverAfterMs)
    return {
      state: 'existing' as const,
      orderId: String(row.order_id),
      requestHash: String(row.request_hash),
      completed: Boolean(row.completed),
    }
  }

  async releaseIdempotencyKey(userId: number, key: string, orderId: string) {
    // Only our own reservation: after a takeover the key belongs to the request that took it.
    await (await this.connection).query(
      'delete from tma_pay_idempotency_keys where user_id = $1 and key = $2 and order_id = $3 and not completed',
      [userId, key, orderId],
    )
  }

  async insertOrder(order: Order, event: EventInput, idempotency?: { userId: number; key: string }) {
    await (await this.connection).transaction(async (tx) => {
      await tx.query(
        `insert into tma_pay_orders (id, user_id, product_id, title, description, photo_url, quantity, amount, currency,
           status, invoice_url, metadata, subscription, created_at, updated_at, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13::jsonb, $14, $15, $16)`,
        [
          order.id,
          order.userId,
          order.productId,
          order.title,
          order.description,
          order.photoUrl ?? null,
          order.quantity,
          order.amount,
          order.currency,
          order.status,
          order.invoiceUrl,
          JSON.stringify(order.metadata),
          order.subscription ? JSON.stringify(order.subscription) : null,
          order.createdAt,
          order.updatedAt,
          order.expiresAt,
        ],
      )
      await insertEvent(tx, order, event, new Date(order.createdAt))
      if (idempotency) {
        const completed = await tx.query(
          'update tma_pay_idempotency_keys set completed = true where user_id = $1 and key = $2 and order_id = $3 returning key',
          [idempotency.userId, idempotency.key, order.id],
        )
        // Our reservation went stale and another request took the key over: its order is the one, not ours.
        if (completed.length === 0) throw new IdempotencyKeyTakenOver(order.id)
      }
    })
  }

  async getOrder(orderId: string) {
    const [row] = await (await this.connection).query('select * from tma_pay_orders where id = $1', [orderId])
    return row ? orderFromRow(row) : undefined
  }

  async listOrders(filter: ListOrdersFilter) {
    const where: string[] = []
    const params: unknown[] = []
    const add = (clause: string, value: unknown) => {
      params.push(value)
      where.push(clause.replace('?', `$${params.length}`))
    }
    if (filter.userId !== undefined) add('user_id = ?', filter.userId)
    if (filter.status) add('status = ?', filter.status)
    if (filter.createdGte) add('created_at >= ?', filter.createdGte)
    if (filter.createdLte) add('created_at <= ?', filter.createdLte)
    const matching = where.length ? `where ${where.join(' and ')}` : ''
    const [count] = await (await this.connection).query<{ n: unknown }>(
      `select count(*) as n from tma_pay_orders ${matching}`,
      params,
    )
    // Ids sort by creation time, so "after this id" in a newest-first list is "id < cursor".
    if (filter.startingAfter) add('id < ?', filter.startingAfter)
    const limit = filter.limit ?? 20
    const rows = await (await this.connection).query(
      `select * from tma_pay_orders ${where.length ? `where ${where.join(' and ')}` : ''} order by id desc limit ${limit + 1}`,
      params,
    )
    return {
      data: rows.slice(0, limit).map(orderFromRow),
      hasMore: rows.length > limit,
      totalCount: Number(count?.n ?? 0),
    }
  }

  async takeCreationSlot(userId: number, max: number, windowMs: number) {
    // One statement: the upsert locks the user's row, so concurrent creations queue on it and each sees the
    // count the one before it left. A window that has passed starts again at 1.
    const rows = await (await this.connection).query(
      `insert into tma_pay_creation_limits as l (user_id, window_start, used) values ($1, now(), 1)
       on conflict (user_id) do update set
         window_start = case when l.window_start <= now() - ($3 || ' milliseconds')::interval then now() else l.window_start end,
         used = case when l.window_start <= now() - ($3 || ' milliseconds')::interval then 1 else l.used + 1 end
       where l.window_start <= now() - ($3 || ' milliseconds')::interval or l.used < $2
       returning used`,
      [userId, max, String(windowMs)],
    )
    return rows.length > 0
  }

  async timeline(orderId: string) {
    const rows = await (await this.connection).query(
      'select * from tma_pay_order_events where order_id = $1 order by seq',
      [orderId],
    )
    return rows.map(eventFromRow)
  }

  async orderChangesSince(orderId: string, afterSeq: number): Promise<OrderChange[]> {
    const rows = await (await this.connection).query(
      'select seq, snapshot from tma_pay_order_events where order_id = $1 and seq > $2 order by seq',
      [orderId, afterSeq],
    )
    // Events from before snapshots were kept carry none; the order's current state stands for them.
    return rows
      .filter((row) => row.snapshot != null)
      .map((row) => ({ seq: Number(row.seq), order: json(row.snapshot) as Order }))
  }

  async latestOrderChange(orderId: string): Promise<OrderChange | undefined> {
    const [row] = await (await this.connection).query(
      `select o.*, (select max(seq) from tma_pay_order_events e where e.order_id = o.id) as last_seq
       from tma_pay_orders o where o.id = $1`,
      [orderId],
    )
    return row ? { seq: Number(row.last_seq ?? 0), order: orderFromRow(row) } : undefined
  }

  async listenForOrderChanges(listener: (orderId: string) => void): Promise<() => Promise<void>> {
    return (await this.connection).listen(ORDER_CHANGES_CHANNEL, listener)
  }

  async applyEvent(
    orderId: string,
    kind: Parameters<PayStore['applyEvent']>[1],
    event: EventInput,
    options: { maxEventsFromSource?: number } = {},
  ) {
    return (await this.connection).transaction(async (tx) => {
      const order = await lockOrder(tx, orderId)
      if (!order) return undefined
      const previous = order.status
      const next = nextStatus(order.status, kind)
      if (next === undefined || next === order.status) return { order, changed: false, previous }
      if (options.maxEventsFromSource !== undefined) {
        const [row] = await tx.query<{ n: unknown }>(
          'select count(*) as n from tma_pay_order_events where order_id = $1 and source = $2',
          [orderId, event.source],
        )
        if (Number(row?.n ?? 0) >= options.maxEventsFromSource) return { order, changed: false, previous }
      }
      const now = new Date()
      const refunded = next === 'refunded'
      const [row] = await tx.query(
        `update tma_pay_orders set status = $2, updated_at = $3${refunded ? ', refunded_at = $3' : ''} where id = $1 returning *`,
        [orderId, next, now],
      )
      const updated = orderFromRow(row!)
      await insertEvent(tx, updated, event, now)
      return { order: updated, changed: true, previous }
    })
  }

  async recordPayment(payment: PaymentRecord): Promise<RecordedPayment> {
    return (await this.connection).transaction(async (tx) => {
      // Locking the order first also queues concurrent redeliveries of this charge behind each other.
      const order = await lockOrder(tx, payment.invoicePayload)
      const now = new Date()
      const inserted = await tx.query(
        `insert into tma_pay_payments (telegram_payment_charge_id, order_id, user_id, amount, currency, invoice_payload,
           provider_payment_charge_id, source, refunded_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (telegram_payment_charge_id) do nothing returning order_id`,
        [
          payment.telegramPaymentChargeId,
          order?.id ?? null,
          payment.userId,
          payment.amount,
          payment.currency,
          payment.invoicePayload,
          payment.providerPaymentChargeId ?? null,
          payment.source,
          payment.refunded ? now : null,
        ],
      )
      if (!order) return inserted.length > 0 ? { outcome: 'orphan' as const } : { outcome: 'known' as const }
      if (inserted.length === 0) return { outcome: 'known' as const, order }
      const charge = {
        telegramPaymentChargeId: payment.telegramPaymentChargeId,
        amount: payment.amount,
        currency: payment.currency,
        ...(payment.refunded ? { refundedInTelegram: true } : {}),
      }
      const mismatch = paymentMismatch(order, payment)
      if (mismatch) {
        // Money taken is kept on record (for a refund), but a charge that is not the order's pays nothing.
        const detail = { ...charge, payerId: payment.userId, mismatch }
        await insertEvent(tx, order, { source: payment.source, detail }, now)
        return { outcome: 'mismatch' as const, order, detail }
      }
      // No fulfilment job: onPaid ran for the first payment; a renewal shows on the order's subscription.
      if (isRenewal(order, payment))
        return { outcome: 'renewed' as const, order: await applyRenewal(tx, order, payment, now) }
      const next = nextStatus(order.status, 'payment_succeeded')
      if (next === undefined) {
        // A second charge for an order already paid (or refunded): keep the money on record, tell the timeline.
        const detail = { ...charge, duplicateCharge: true }
        await insertEvent(tx, order, { source: payment.source, detail }, now)
        return { outcome: 'duplicate' as const, order, detail }
      }
      const detail = {
        ...charge,
        ...(order.status !== 'processing' && order.status !== 'pending' && order.status !== 'created'
          ? { lateAfter: order.status }
          : {}),
      }
      const subscription =
        order.subscription && payment.subscriptionExpiresAt
          ? JSON.stringify({ ...order.subscription, expiresAt: payment.subscriptionExpiresAt })
          : null
      const [row] = await tx.query(
        `update tma_pay_orders set status = $2, telegram_payment_charge_id = $3, paid_at = $4, updated_at = $4,
           subscription = coalesce($5::jsonb, subscription)
         where id = $1 returning *`,
        [order.id, next, payment.telegramPaymentChargeId, now, subscription],
      )
      const paid = orderFromRow(row!)
      await insertEvent(tx, paid, { source: payment.source, detail }, now)
      if (payment.refunded) {
        // Paid and refunded in Telegram before either update reached us: nothing to fulfil, nothing to revoke.
        return {
          outcome: 'refunded' as const,
          order: await markRefunded(tx, paid, { source: payment.source, detail: charge }, now),
        }
      }
      await tx.query(
        `insert into tma_pay_outbox (id, order_id, type) values ($1, $2, 'order.paid') on conflict (order_id, type) do nothing`,
        [newEventId(), order.id],
      )
      return { outcome: 'paid' as const, order: paid }
    })
  }

  async listSubscriptions(userId: number) {
    const rows = await (await this.connection).query(
      `select * from tma_pay_orders where user_id = $1 and subscription is not null and status in ('paid', 'refunded')
       order by id desc limit 100`,
      [userId],
    )
    return rows.map(orderFromRow)
  }

  async setSubscriptionCanceled(orderId: string, canceled: boolean, event: EventInput) {
    return (await this.connection).transaction(async (tx) => {
      const order = await lockOrder(tx, orderId)
      if (!order) return undefined
      const { subscription } = order
      if (order.status !== 'paid' || !subscription || !!subscription.canceled === canceled)
        return { order, changed: false }
      const now = new Date()
      const [row] = await tx.query(
        'update tma_pay_orders set subscription = $2::jsonb, updated_at = $3 where id = $1 returning *',
        [orderId, JSON.stringify({ ...subscription, canceled }), now],
      )
      const updated = orderFromRow(row!)
      await insertEvent(tx, updated, event, now)
      return { order: updated, changed: true }
    })
  }

  async claimRefund(orderId: string, leaseMs: number): Promise<RefundClaim | undefined> {
    return (await this.connection).transaction(async (tx) => {
      const [row] = await tx.query('select * from tma_pay_orders where id = $1 for update', [orderId])
      if (!row) return undefined
      const order = orderFromRow(row)
      if (order.status === 'refunded') return { state: 'refunded' as const, order }
      if (order.status !== 'paid') return { state: 'not_paid' as const, order }
      const started = row.refund_started_at == null ? undefined : Date.parse(iso(row.refund_started_at))
      if (started !== undefined && started + leaseMs > Date.now())
        return { state: 'in_progress' as const, order }
      await tx.query('update tma_pay_orders set refund_started_at = $2 where id = $1', [orderId, new Date()])
      return { state: 'claimed' as const, order }
    })
  }

  async releaseRefund(orderId: string) {
    await (await this.connection).query('update tma_pay_orders set refund_started_at = null where id = $1', [
      orderId,
    ])
  }

  async applyRefund(
    orderId: string,
    telegramPaymentChargeId: string,
    event: EventInput,
    options: { yieldToClaimMs?: number } = {},
  ) {
    return (await this.connection).transaction(async (tx) => {
      const order = await lockOrder(tx, orderId)
      if (!order) return undefined
      const now = new Date()
      if (options.yieldToClaimMs !== undefined) {
        const [claim] = await tx.query(
          `select 1 from tma_pay_orders where id = $1
             and refund_started_at > now() - ($2 || ' milliseconds')::interval`,
          [orderId, String(options.yieldToClaimMs)],
        )
        if (claim) return { order, outcome: 'in_progress' as RefundOutcome }
      }
      const charge = await tx.query(
        `update tma_pay_payments set refunded_at = $2 where telegram_payment_charge_id = $1 and refunded_at is null
         returning telegram_payment_charge_id`,
        [telegramPaymentChargeId, now],
      )
      await tx.query('update tma_pay_orders set refund_started_at = null where id = $1', [orderId])
      const current = order.telegramPaymentChargeId === telegramPaymentChargeId
      let outcome: RefundOutcome = 'known'
      let result = order
      if (current && nextStatus(order.status, 'refunded') !== undefined) {
        result = await markRefunded(tx, order, event, now)
        await tx.query(
          `insert into tma_pay_outbox (id, order_id, type) values ($1, $2, 'order.refunded') on conflict (order_id, type) do nothing`,
          [newEventId(), orderId],
        )
        outcome = 'refunded'
      } else if (!current && charge.length > 0) {
        // A refund of an earlier charge (a subscription's previous period): the order's own payment stands.
        const detail = { ...event.detail, chargeRefunded: true, orderChargeId: order.telegramPaymentChargeId }
        await insertEvent(tx, order, { source: event.source, detail }, now)
        outcome = 'charge_refunded'
      }
      return { order: result, outcome }
    })
  }

  async claimOutboxJob(leaseMs: number): Promise<OutboxJob | undefined> {
    const [row] = await (await this.connection).query(
      `update tma_pay_outbox set locked_until = now() + ($1 || ' milliseconds')::interval, attempts = attempts + 1
       where id = (
         select id from tma_pay_outbox
         where done_at is null and next_attempt_at <= now() and (locked_until is null or locked_until < now())
         order by next_attempt_at limit 1 for update skip locked
       ) returning id, order_id, type, attempts`,
      [String(leaseMs)],
    )
    if (!row) return undefined
    return {
      id: String(row.id),
      orderId: String(row.order_id),
      type: row.type as OutboxJob['type'],
      attempts: Number(row.attempts),
    }
  }

  async completeOutboxJob(jobId: string) {
    await (await this.connection).query(
      'update tma_pay_outbox set done_at = now(), locked_until = null, last_error = null where id = $1',
      [jobId],
    )
  }

  async failOutboxJob(jobId: string, error: string, retryInMs: number) {
    await (await this.connection).query(
      `update tma_pay_outbox set locked_until = null, last_error = $2,
         next_attempt_at = now() + ($3 || ' milliseconds')::interval where id = $1`,
      [jobId, error.slice(0, 2000), String(retryInMs)],
    )
  }

  async findExpired(before: Date, processingBefore: Date, limit: number) {
    const rows = await (await this.connection).query<{ id: string }>(
      `select id from tma_pay_orders where status in (${expirableStatuses}) and expires_at < $1
         and (status <> 'processing' or updated_at < $2)
       order by expires_at limit $3`,
      [before, processingBefore, limit],
    )
    return rows.map((row) => String(row.id))
  }

  async chargeStates(chargeIds: string[]) {
    const states = new Map<string, { orderId?: string; refunded: boolean }>()
    if (chargeIds.length === 0) return states
    // The ids travel as one JSON array: both drivers pass text alike, whatever their array support.
    const rows = await (await this.connection).query(
      `select telegram_payment_charge_id, order_id, refunded_at from tma_pay_payments
       where telegram_payment_charge_id in (select jsonb_array_elements_text($1::text::jsonb))`,
      [JSON.stringify(chargeIds)],
    )
    for (const row of rows)
      states.set(String(row.telegram_payment_charge_id), {
        ...(row.order_id == null ? {} : { orderId: String(row.order_id) }),
        refunded: row.refunded_at != null,
      })
    return states
  }

  async close() {
    await (await this.connection).close()
  }
}
