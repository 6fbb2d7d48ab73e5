import type { SqlDriver } from './sql'
import type { IdempotencyReservation } from './types'

async function reserveIdempotencyKey(
  db: SqlDriver,
  userId: number,
  key: string,
  requestHash: string,
  orderId: string,
  takeoverAfterMs: number,
): Promise<IdempotencyReservation> {
  // A reservation that never became an order (its instance died while Telegram made the invoice link)
  // is taken over once stale, by a request with the same body; else the key would be stuck forever.
  const inserted = await db.query(
    `insert into tma_pay_idempotency_keys (user_id, key, request_hash, order_id) values ($1, $2, $3, $4)
     on conflict (user_id, key) do update set order_id = excluded.order_id, created_at = now()
       where not tma_pay_idempotency_keys.completed
         and tma_pay_idempotency_keys.request_hash = excluded.request_hash
         and tma_pay_idempotency_keys.created_at < now() - ($5 || ' milliseconds')::interval
     returning key`,
    [userId, key, requestHash, orderId, String(takeoverAfterMs)],
  )
  if (inserted.length > 0) return { state: 'reserved' }
  const [row] = await db.query('select * from tma_pay_idempotency_keys where user_id = $1 and key = $2', [
    userId,
    key,
  ])
  // Released between the two statements: try the reservation again.
  if (!row) return reserveIdempotencyKey(db, userId, key, requestHash, orderId, takeoverAfterMs)
  return {
    state: 'existing',
    orderId: String(row.order_id),
    requestHash: String(row.request_hash),
    completed: Boolean(row.completed),
  }
}

/** The Idempotency-Key reservations of order creation. */
export const idempotencyQueries = (db: SqlDriver) => ({
  reserveIdempotencyKey: (
    userId: number,
    key: string,
    requestHash: string,
    orderId: string,
    takeoverAfterMs: number,
  ) => reserveIdempotencyKey(db, userId, key, requestHash, orderId, takeoverAfterMs),

  async releaseIdempotencyKey(userId: number, key: string, orderId: string) {
    // Only our own reservation: after a takeover the key belongs to the request that took it.
    await db.query(
      'delete from tma_pay_idempotency_keys where user_id = $1 and key = $2 and order_id = $3 and not completed',
      [userId, key, orderId],
    )
  },
})
