import type { Order, OrderEvent, OrderStatus } from '../../core'
import { nextStatus } from '../../core/transitions'
import { newEventId } from '../ids'
import { migrations } from './schema'
import type { SqlDriver, SqlExecutor } from './sql'
import type {
  EventInput,
  IdempotencyReservation,
  ListOrdersFilter,
  OutboxJob,
  PaymentRecord,
  PayStore,
  RefundClaim,
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

async function insertEvent(
  tx: SqlExecutor,
  orderId: string,
  status: OrderStatus,
  event: EventInput,
  at: Date,
) {
  await tx.query(
    'insert into tma_pay_order_events (order_id, at, status, source, detail) values ($1, $2, $3, $4, $5::jsonb)',
    [orderId, at, status, event.source, JSON.stringify(event.detail ?? {})],
  )
}

async function lockOrder(tx: SqlExecutor, orderId: string): Promise<Order | undefined> {
  const [row] = await tx.query('select * from tma_pay_orders where id = $1 for update', [orderId])
  return row ? orderFromRow(row) : undefined
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
  ): Promise<IdempotencyReservation> {
    const inserted = await (await this.connection).query(
      `insert into tma_pay_idempotency_keys (user_id, key, request_hash, order_id) values ($1, $2, $3, $4)
       on conflict (user_id, key) do nothing returning key`,
      [userId, key, requestHash, orderId],
    )
    if (inserted.length > 0) return { state: 'reserved' as const }
    const [row] = await (await this.connection).query(
      'select * from tma_pay_idempotency_keys where user_id = $1 and key = $2',
      [userId, key],
    )
    if (!row) return this.reserveIdempotencyKey(userId, key, requestHash, orderId)
    return {
      state: 'existing' as const,
      orderId: String(row.order_id),
      requestHash: String(row.request_hash),
      completed: Boolean(row.completed),
    }
  }

  async releaseIdempotencyKey(userId: number, key: string) {
    await (await this.connection).query(
      'delete from tma_pay_idempotency_keys where user_id = $1 and key = $2 and not completed',
      [userId, key],
    )
  }

  async findIdempotencyKey(userId: number, key: string) {
    const [row] = await (await this.connection).query(
      'select order_id, completed from tma_pay_idempotency_keys where user_id = $1 and key = $2',
      [userId, key],
    )
    return row ? { orderId: String(row.order_id), completed: Boolean(row.completed) } : undefined
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
      await insertEvent(tx, order.id, order.status, event, new Date(order.createdAt))
      if (idempotency) {
        await tx.query(
          'update tma_pay_idempotency_keys set completed = true where user_id = $1 and key = $2',
          [idempotency.userId, idempotency.key],
        )
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

  async countOrdersSince(userId: number, since: Date) {
    const [row] = await (await this.connection).query<{ n: unknown }>(
      'select count(*) as n from tma_pay_orders where user_id = $1 and created_at >= $2',
      [userId, since],
    )
    return Number(row?.n ?? 0)
  }

  async timeline(orderId: string) {
    const rows = await (await this.connection).query(
      'select * from tma_pay_order_events where order_id = $1 order by seq',
      [orderId],
    )
    return rows.map(eventFromRow)
  }

  async applyEvent(orderId: string, kind: Parameters<PayStore['applyEvent']>[1], event: EventInput) {
    return (await this.connection).transaction(async (tx) => {
      const order = await lockOrder(tx, orderId)
      if (!order) return undefined
      const previous = order.status
      const next = nextStatus(order.status, kind)
      if (next === undefined || next === order.status) return { order, changed: false, previous }
      const now = new Date()
      const refunded = next === 'refunded'
      const [row] = await tx.query(
        `update tma_pay_orders set status = $2, updated_at = $3${refunded ? ', refunded_at = $3' : ''} where id = $1 returning *`,
        [orderId, next, now],
      )
      await insertEvent(tx, orderId, next, event, now)
      return { order: orderFromRow(row!), changed: true, previous }
    })
  }

  async recordPayment(payment: PaymentRecord) {
    return (await this.connection).transaction(async (tx) => {
      // Locking the order first also queues concurrent redeliveries of this charge behind each other.
      const order = await lockOrder(tx, payment.invoicePayload)
      const inserted = await tx.query(
        `insert into tma_pay_payments (telegram_payment_charge_id, order_id, user_id, amount, currency, invoice_payload,
           provider_payment_charge_id, source)
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (telegram_payment_charge_id) do nothing returning order_id`,
        [
          payment.telegramPaymentChargeId,
          order?.id ?? null,
          payment.userId,
          payment.amount,
          payment.currency,
          payment.invoicePayload,
          payment.providerPaymentChargeId ?? null,
          payment.source,
        ],
      )
      if (!order) return { applied: inserted.length > 0 }
      if (inserted.length === 0) return { order, applied: false }
      const next = nextStatus(order.status, 'payment_succeeded')
      const now = new Date()
      const detail = {
        telegramPaymentChargeId: payment.telegramPaymentChargeId,
        amount: payment.amount,
        currency: payment.currency,
        ...(order.status !== 'processing' && order.status !== 'pending' && order.status !== 'created'
          ? { lateAfter: order.status }
          : {}),
      }
      if (next === undefined) {
        // A second charge for an order already paid (or refunded): keep the money on record, tell the timeline.
        await insertEvent(
          tx,
          order.id,
          order.status,
          { source: payment.source, detail: { ...detail, duplicateCharge: true } },
          now,
        )
        return { order, applied: true }
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
      await insertEvent(tx, order.id, next, { source: payment.source, detail }, now)
      await tx.query(
        `insert into tma_pay_outbox (id, order_id, type) values ($1, $2, 'order.paid') on conflict (order_id, type) do nothing`,
        [newEventId(), order.id],
      )
      return { order: orderFromRow(row!), applied: true }
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

  async applyRefund(orderId: string, event: EventInput) {
    return (await this.connection).transaction(async (tx) => {
      const order = await lockOrder(tx, orderId)
      if (!order) return undefined
      const next = nextStatus(order.status, 'refunded')
      if (next === undefined) return { order, changed: false }
      const now = new Date()
      const [row] = await tx.query(
        `update tma_pay_orders set status = $2, updated_at = $3, refunded_at = $3, refund_started_at = null
         where id = $1 returning *`,
        [orderId, next, now],
      )
      await insertEvent(tx, orderId, next, event, now)
      await tx.query(
        `insert into tma_pay_outbox (id, order_id, type) values ($1, $2, 'order.refunded') on conflict (order_id, type) do nothing`,
        [newEventId(), orderId],
      )
      return { order: orderFromRow(row!), changed: true }
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

  async findExpired(before: Date, limit: number) {
    const rows = await (await this.connection).query<{ id: string }>(
      `select id from tma_pay_orders where status in ('created', 'pending', 'processing', 'cancelled') and expires_at < $1
       order by expires_at limit $2`,
      [before, limit],
    )
    return rows.map((row) => String(row.id))
  }

  async close() {
    await (await this.connection).close()
  }
}
