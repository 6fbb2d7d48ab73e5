import type { Order } from '../../core'
import { eventFromRow, json, orderFromRow } from './rows'
import type { SqlDriver } from './sql'
import { ORDER_CHANGES_CHANNEL } from './timeline'
import type { NotifiedOrderChange, OrderChange } from './types'

/** Reads a payload of `notifyEvent`: the order's id, and the change itself when the payload carries it. */
export function parseOrderNotice(payload: string): { orderId: string; notified?: NotifiedOrderChange } {
  const idEnd = payload.indexOf(' ')
  if (idEnd < 0) return { orderId: payload }
  const orderId = payload.slice(0, idEnd)
  const previousEnd = payload.indexOf(' ', idEnd + 1)
  const seqEnd = previousEnd < 0 ? -1 : payload.indexOf(' ', previousEnd + 1)
  const previousSeq = Number(payload.slice(idEnd + 1, previousEnd))
  const seq = Number(payload.slice(previousEnd + 1, seqEnd))
  if (seqEnd < 0 || !Number.isSafeInteger(previousSeq) || !Number.isSafeInteger(seq)) return { orderId }
  // Parsed only for an order some stream watches: every instance hears every change.
  let change: OrderChange | undefined
  const read = () => (change ??= { seq, order: JSON.parse(payload.slice(seqEnd + 1)) as Order })
  return { orderId, notified: { seq, previousSeq, change: read } }
}

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

  async listenForOrderChanges(
    listener: (orderId: string, notified?: NotifiedOrderChange) => void,
  ): Promise<() => Promise<void>> {
    return db.listen(ORDER_CHANGES_CHANNEL, (payload) => {
      const { orderId, notified } = parseOrderNotice(payload)
      listener(orderId, notified)
    })
  },
})
