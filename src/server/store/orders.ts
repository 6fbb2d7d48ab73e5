import type { Order } from '../../core'
import { EXPIRABLE_STATUSES } from '../../core/order-rules'
import { nextStatus } from '../../core/transitions'
import { orderFromRow } from './rows'
import type { SqlDriver } from './sql'
import {
  eventColumns,
  lockPurchase,
  notifyEvent,
  snapshotValue,
  updateOrder,
  updateOrderIfUnchanged,
} from './timeline'
import {
  type EventInput,
  IdempotencyKeyTakenOver,
  type ListOrdersFilter,
  type PayStore,
  type PurchaseTerms,
} from './types'
import { type RowVersions, rowVersions } from './versions'

const expirableStatuses = EXPIRABLE_STATUSES.map((status) => `'${status}'`).join(', ')

/**
 * The creation-slot upsert, on `source` (the row to insert: user_id, window_start, used) with the `max` and
 * `windowMs` parameters. One statement: the upsert locks the user's row, so concurrent creations queue on it and
 * each sees the count the one before it left. A window that has passed starts again at 1.
 */
export const creationSlotUpsert = (source: string, max: string, windowMs: string) =>
  `insert into tma_pay_creation_limits as l (user_id, window_start, used) ${source}
     on conflict (user_id) do update set
       window_start = case when l.window_start <= now() - (${windowMs} || ' milliseconds')::interval then now() else l.window_start end,
       used = case when l.window_start <= now() - (${windowMs} || ' milliseconds')::interval then 1 else l.used + 1 end
     where l.window_start <= now() - (${windowMs} || ' milliseconds')::interval or l.used < ${max}`

/** Orders: creation, reads and lists, status changes, expiry, and the per-user creation limit. */
export const orderQueries = (db: SqlDriver, versions: RowVersions = rowVersions()) => ({
  async insertOrder(
    order: Order,
    event: EventInput,
    { idempotency, terms }: { idempotency?: { userId: number; key: string }; terms?: PurchaseTerms } = {},
  ) {
    const params: unknown[] = [
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
      terms?.kind ?? 'consumable',
      terms?.accessSeconds ?? null,
    ]
    const next = (value: unknown) => `$${params.push(value)}`
    const values = params.map((_, i) => (i === 11 || i === 12 ? `$${i + 1}::jsonb` : `$${i + 1}`)).join(', ')
    // The key is completed only if this creation still holds it; the order is inserted only if it was. When a
    // stale reservation was taken over by another request, nothing is written: its order is the one, not ours.
    const key = idempotency
      ? `k as (update tma_pay_idempotency_keys set completed = true
           where user_id = ${next(idempotency.userId)} and key = ${next(idempotency.key)} and order_id = $1 returning key),`
      : ''
    const snapshot = next(JSON.stringify(order))
    const eventValues = [
      next(new Date(order.createdAt)),
      next(order.status),
      next(event.source),
      next(JSON.stringify(event.detail ?? {})),
      snapshotValue(snapshot),
    ].join(', ')
    // One statement, so one transaction and one round trip: the key, the order, its first event and the NOTIFY.
    const written = await db.query(
      `with ${key}
       o as (
         insert into tma_pay_orders (id, user_id, product_id, title, description, photo_url, quantity, amount,
           currency, status, invoice_url, metadata, subscription, created_at, updated_at, expires_at, product_kind,
           access_seconds)
         select ${values}${idempotency ? ' where exists (select 1 from k)' : ''} returning id
       ),
       e as (
         insert into tma_pay_order_events ${eventColumns}
         select id, ${eventValues} from o returning order_id, seq
       )
       ${notifyEvent(snapshot)}`,
      params,
    )
    if (written.length === 0) throw new IdempotencyKeyTakenOver(order.id)
  },

  async getOrder(orderId: string) {
    const [row] = await db.query(
      'select xmin::text as tma_pay_version, * from tma_pay_orders where id = $1',
      [orderId],
    )
    if (!row) return undefined
    versions.remember(row, String(row.tma_pay_version))
    return orderFromRow(row)
  },

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
    const [count] = await db.query<{ n: unknown }>(
      `select count(*) as n from tma_pay_orders ${matching}`,
      params,
    )
    // Ids sort by creation time, so "after this id" in a newest-first list is "id < cursor".
    if (filter.startingAfter) add('id < ?', filter.startingAfter)
    const limit = filter.limit ?? 20
    // The limit is a parameter too: each distinct text is a prepared statement kept per connection.
    const rows = await db.query(
      `select * from tma_pay_orders ${where.length ? `where ${where.join(' and ')}` : ''} order by id desc limit $${params.length + 1}`,
      [...params, limit + 1],
    )
    return {
      data: rows.slice(0, limit).map(orderFromRow),
      hasMore: rows.length > limit,
      totalCount: Number(count?.n ?? 0),
    }
  },

  async takeCreationSlot(userId: number, max: number, windowMs: number) {
    const rows = await db.query(`${creationSlotUpsert('values ($1, now(), 1)', '$2', '$3')} returning used`, [
      userId,
      max,
      String(windowMs),
    ])
    return rows.length > 0
  },

  async applyEvent(
    orderId: string,
    kind: Parameters<PayStore['applyEvent']>[1],
    event: EventInput,
    options: { maxEventsFromSource?: number } = {},
  ) {
    const read = options.maxEventsFromSource === undefined ? versions.take(orderId) : undefined
    if (read) {
      const order = orderFromRow(read.row)
      const next = nextStatus(order.status, kind)
      if (next !== undefined && next !== order.status) {
        const now = new Date()
        const changes = {
          status: next,
          updated_at: now,
          ...(next === 'refunded' ? { refunded_at: now } : {}),
        }
        const updated = await updateOrderIfUnchanged(db, read, changes, event, now, { versions })
        if (updated) return { order: updated, changed: true, previous: order.status }
      }
    }
    return db.transaction(async (tx) => {
      const locked = await lockPurchase(tx, orderId)
      if (!locked) return undefined
      const { order, row } = locked
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
      const changes = {
        status: next,
        updated_at: now,
        ...(next === 'refunded' ? { refunded_at: now } : {}),
      }
      const updated = await updateOrder(tx, row, changes, event, now, { versions })
      return { order: updated, changed: true, previous }
    })
  },

  async findExpired(before: Date, processingBefore: Date, limit: number) {
    const rows = await db.query<{ id: string }>(
      `select id from tma_pay_orders where status in (${expirableStatuses}) and expires_at < $1
           and (status <> 'processing' or updated_at < $2)
         order by expires_at limit $3`,
      [before, processingBefore, limit],
    )
    return rows.map((row) => String(row.id))
  },
})
