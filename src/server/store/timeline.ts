import type { Order } from '../../core'
import { newEventId } from '../../core/ids'
import { orderFromRow, type Row, termsFromRow } from './rows'
import type { SqlExecutor } from './sql'
import type { EventInput, OutboxJob, PurchaseTerms } from './types'
import type { RowVersion, RowVersions } from './versions'

/** The channel every instance LISTENs on; the payload is described at `notifyEvent`, parsed by `parseOrderNotice`. */
export const ORDER_CHANGES_CHANNEL = 'tma_pay_order_changes'

/**
 * The end of a statement that writes an event in a CTE `e` (returning `order_id, seq`) whose snapshot is parameter
 * `snapshot` (a JSON text): it notifies every listening instance in the same round trip. NOTIFY inside a
 * transaction is delivered on commit, and never for a rolled-back one. The payload is `id previous seq snapshot`,
 * where `previous` is the order's last event before this one, so a stream that has sent `previous` can send this
 * change as it is, without reading the timeline. A payload must be under 8000 bytes: a bigger one is the bare id.
 */
export const notifyEvent = (
  snapshot: string,
  extra = '',
) => `select ${extra}'${ORDER_CHANGES_CHANNEL}' as tma_pay_channel, n.payload as tma_pay_notice,
     pg_notify('${ORDER_CHANGES_CHANNEL}', n.payload)
   from e, lateral (select case when octet_length(p.payload) < 8000 then p.payload else e.order_id end as payload
     from (select e.order_id || ' ' || coalesce((select max(q.seq) from tma_pay_order_events q
       where q.order_id = e.order_id), 0) || ' ' || e.seq || ' ' || ${snapshot}::text as payload) p) n`

/** The event columns a statement inserts, the snapshot a text parameter that its NOTIFY reuses. */
export const eventColumns = '(order_id, at, status, source, detail, snapshot)'
export const snapshotValue = (snapshot: string) => `${snapshot}::text::jsonb`

/** Writes one timeline event with the order as it is after the change, and tells every listening instance. */
export async function insertEvent(tx: SqlExecutor, order: Order, event: EventInput, at: Date) {
  await tx.query(
    `with e as (
       insert into tma_pay_order_events ${eventColumns}
       values ($1, $2, $3, $4, $5::jsonb, ${snapshotValue('$6')}) returning order_id, seq
     ) ${notifyEvent('$6')}`,
    [order.id, at, order.status, event.source, JSON.stringify(event.detail ?? {}), JSON.stringify(order)],
  )
}

interface ChangeOptions {
  job?: OutboxJob['type'] | undefined
  /** Write only while the row is still this version (its xmin). */
  version?: string
  /** Another CTE of the statement, fed by `u` (the updated row's id); `next` adds a parameter. */
  also?: (next: (value: unknown) => string) => string
  /** Where to note the row as the change leaves it, with its new version. */
  versions?: RowVersions | undefined
}

/**
 * The update, its event, NOTIFY and job as one statement; whether it wrote (not when `version` no longer matched).
 * The row as it leaves it is remembered in `versions`, for a change that may follow.
 */
async function writeChange(
  db: SqlExecutor,
  row: Row,
  updated: Order,
  changes: Row,
  event: EventInput,
  at: Date,
  { job, version, also, versions }: ChangeOptions,
): Promise<boolean> {
  const columns = Object.keys(changes)
  const params: unknown[] = [updated.id, ...columns.map((column) => changes[column])]
  const next = (value: unknown) => `$${params.push(value)}`
  const set = columns.map((column, i) => `${column} = $${i + 2}`).join(', ')
  // The row version read before (xmin changes with every update): no match, no write.
  const unchanged = version === undefined ? '' : ` and xmin = ${next(version)}::xid`
  const snapshot = next(JSON.stringify(updated))
  const eventValues = [
    next(at),
    next(updated.status),
    next(event.source),
    next(JSON.stringify(event.detail ?? {})),
    snapshotValue(snapshot),
  ].join(', ')
  // Queued once per order and type, in the same transaction as the change it follows.
  const outbox = job
    ? `, j as (insert into tma_pay_outbox (id, order_id, type) select ${next(newEventId())}, id, ${next(job)} from u
         on conflict (order_id, type) do nothing)`
    : ''
  const [written] = await db.query<{ tma_pay_version: unknown }>(
    `with u as (update tma_pay_orders set ${set} where id = $1${unchanged} returning id, xmin::text as version),
     e as (
       insert into tma_pay_order_events ${eventColumns}
       select id, ${eventValues} from u returning order_id, seq
     )${outbox}${also ? `, ${also(next)}` : ''}
     ${notifyEvent(snapshot, '(select version from u) as tma_pay_version, ')}`,
    params,
  )
  if (!written) return false
  versions?.remember({ ...row, ...changes }, String(written.tma_pay_version))
  return true
}

/**
 * Sets `changes` (column → value) on an order's row that the caller has locked, and writes the change's timeline
 * event (and notifies), optionally with the order's fulfilment job, in one statement. The event's snapshot and the
 * order returned are the row as the update leaves it, worked out here from `row` and the same `changes` (the row
 * is locked, so nothing else changes it meanwhile): one round trip instead of `update ... returning *`, then the
 * event, then its NOTIFY, then the job.
 */
export async function updateOrder(
  tx: SqlExecutor,
  row: Row,
  changes: Row,
  event: EventInput,
  at: Date,
  options: Pick<ChangeOptions, 'job' | 'versions'> = {},
): Promise<Order> {
  const updated = orderFromRow({ ...row, ...changes })
  await writeChange(tx, row, updated, changes, event, at, options)
  return updated
}

/**
 * `updateOrder` without a lock or a transaction, for a row seen earlier (`seen`: the row and its version): it writes
 * only while the row is still that version, so the snapshot worked out from it is right; undefined, with nothing
 * written, once anything changed the row since (the caller then takes the locked path). With `also`, another CTE
 * of the same statement: an error in it (a unique violation) undoes the whole statement.
 */
export async function updateOrderIfUnchanged(
  db: SqlExecutor,
  seen: RowVersion,
  changes: Row,
  event: EventInput,
  at: Date,
  options: Omit<ChangeOptions, 'version'> = {},
): Promise<Order | undefined> {
  const updated = orderFromRow({ ...seen.row, ...changes })
  const written = await writeChange(db, seen.row, updated, changes, event, at, {
    ...options,
    version: seen.version,
  })
  return written ? updated : undefined
}

/** Locks the order's row for the transaction, and reads it with what it sells (and the row, for `updateOrder`). */
export async function lockPurchase(
  tx: SqlExecutor,
  orderId: string,
): Promise<{ order: Order; terms: PurchaseTerms; row: Row } | undefined> {
  const [row] = await tx.query('select * from tma_pay_orders where id = $1 for update', [orderId])
  return row ? { order: orderFromRow(row), terms: termsFromRow(row), row } : undefined
}

export async function lockOrder(tx: SqlExecutor, orderId: string): Promise<Order | undefined> {
  return (await lockPurchase(tx, orderId))?.order
}
