import type { Order } from '../../core'
import { eventFromRow, json, orderFromRow } from './rows'
import type { SqlDriver } from './sql'
import { ORDER_CHANGES_CHANNEL } from './timeline'
import type { OrderChange } from './types'

/** An order's timeline and its changes, for the timeline route and the live streams. */
export const changeQueries = (db: SqlDriver) => ({
  async timeline(orderId: string) {
    const rows = await db.query('select * from tma_pay_order_events where order_id = $1 order by seq', [
      orderId,
    ])
    return rows.map(eventFromRow)
  },

  async orderChangesSince(orderId: string, afterSeq: number): Promise<OrderChange[]> {
    const rows = await db.query(
      'select seq, snapshot from tma_pay_order_events where order_id = $1 and seq > $2 order by seq',
      [orderId, afterSeq],
    )
    // Events from before snapshots were kept carry none; the order's current state stands for them.
    return rows
      .filter((row) => row.snapshot != null)
      .map((row) => ({ seq: Number(row.seq), order: json(row.snapshot) as Order }))
  },

  async latestOrderChange(orderId: string): Promise<OrderChange | undefined> {
    const [row] = await db.query(
      `select o.*, (select max(seq) from tma_pay_order_events e where e.order_id = o.id) as last_seq
         from tma_pay_orders o where o.id = $1`,
      [orderId],
    )
    return row ? { seq: Number(row.last_seq ?? 0), order: orderFromRow(row) } : undefined
  },

  async listenForOrderChanges(listener: (orderId: string) => void): Promise<() => Promise<void>> {
    return db.listen(ORDER_CHANGES_CHANNEL, listener)
  },
})
