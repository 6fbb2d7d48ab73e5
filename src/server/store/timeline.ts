import type { Order } from '../../core'
import { orderFromRow, termsFromRow } from './rows'
import type { SqlExecutor } from './sql'
import type { EventInput, PurchaseTerms } from './types'

/** The channel every instance LISTENs on; the payload is the changed order's id. */
export const ORDER_CHANGES_CHANNEL = 'tma_pay_order_changes'

/**
 * Writes one timeline event with the order as it is after the change, and tells every listening
 * instance. NOTIFY inside the transaction is delivered on commit, and never for a rolled-back one.
 */
export async function insertEvent(tx: SqlExecutor, order: Order, event: EventInput, at: Date) {
  await tx.query(
    `insert into tma_pay_order_events (order_id, at, status, source, detail, snapshot)
     values ($1, $2, $3, $4, $5::jsonb, $6::jsonb)`,
    [order.id, at, order.status, event.source, JSON.stringify(event.detail ?? {}), JSON.stringify(order)],
  )
  await tx.query('select pg_notify($1, $2)', [ORDER_CHANGES_CHANNEL, order.id])
}

/** Locks the order's row for the transaction, and reads it with what it sells. */
export async function lockPurchase(
  tx: SqlExecutor,
  orderId: string,
): Promise<{ order: Order; terms: PurchaseTerms } | undefined> {
  const [row] = await tx.query('select * from tma_pay_orders where id = $1 for update', [orderId])
  return row ? { order: orderFromRow(row), terms: termsFromRow(row) } : undefined
}

export async function lockOrder(tx: SqlExecutor, orderId: string): Promise<Order | undefined> {
  return (await lockPurchase(tx, orderId))?.order
}
