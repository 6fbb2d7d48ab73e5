import { creationSlotUpsert } from './orders'
import type { SqlDriver } from './sql'
import type { CreationSlot, IdempotencyReservation } from './types'

async function reserveIdempotencyKey(
  db: SqlDriver,
  userId: number,
  key: string,
  requestHash: string,
  orderId: string,
  takeoverAfterMs: number,
  slot?: CreationSlot,
): Promise<IdempotencyReservation> {
  // A reservation that never became an order (its instance died while Telegram made the invoice link)
  // is taken over once stale, by a request with the same body; else the key would be stuck forever.
  const reserve = `insert into tma_pay_idempotency_keys (user_id, key, request_hash, order_id) values ($1, $2, $3, $4)
     on conflict (user_id, key) do update set order_id = excluded.order_id, created_at = now()
       where not tma_pay_idempotency_keys.completed
         and tma_pay_idempotency_keys.request_hash = excluded.request_hash
         and tma_pay_idempotency_keys.created_at < now() - ($5 || ' milliseconds')::interval
     returning key`
  const params = [userId, key, requestHash, orderId, String(takeoverAfterMs)]
  // With a slot asked for, it is taken in the same statement, and only if the key was reserved: a repeat costs none.
  const [row] = slot
    ? await db.query<{ reserved: unknown; slot: unknown }>(
        `with k as (${reserve}),
         s as (${creationSlotUpsert('select $1, now(), 1 where exists (select 1 from k)', '$6', '$7')} returning used)
         select (select count(*) from k) as reserved, (select count(*) from s) as slot`,
        [...params, slot.max, String(slot.windowMs)],
      )
    : [{ reserved: (await db.query(reserve, params)).length, slot: 0 }]
  if (Number(row?.reserved ?? 0) > 0)
    return { state: 'reserved', ...(slot ? { slotTaken: Number(row?.slot ?? 0) > 0 } : {}) }
  const [existing] = await db.query(
    'select * from tma_pay_idempotency_keys where user_id = $1 and key = $2',
    [userId, key],
  )
  // Released between the two statements: try the reservation again.
  if (!existing) return reserveIdempotencyKey(db, userId, key, requestHash, orderId, takeoverAfterMs, slot)
  return {
    state: 'existing',
    orderId: String(existing.order_id),
    requestHash: String(existing.request_hash),
    completed: Boolean(existing.completed),
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
    slot?: CreationSlot,
  ) => reserveIdempotencyKey(db, userId, key, requestHash, orderId, takeoverAfterMs, slot),

  async releaseIdempotencyKey(userId: number, key: string, orderId: string) {
    // Only our own reservation: after a takeover the key belongs to the request that took it.
    await db.query(
      'delete from tma_pay_idempotency_keys where user_id = $1 and key = $2 and order_id = $3 and not completed',
      [userId, key, orderId],
    )
  },
})
