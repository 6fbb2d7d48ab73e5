import { createHash } from 'node:crypto'
import type { Order } from '../core'
import { PayError } from '../core/errors'
import { orderErrors } from '../core/order-errors'
import { sleep } from '../core/sleep'
import type { CreateOrderBody } from './input'
import type { CreationSlot, PayStore } from './store/types'

/** How long a request waits for another one holding its Idempotency-Key to make the order. */
const WAIT_FOR_HOLDER_MS = 10_000

/** The request's fingerprint: the same key with another body is a conflict, not a repeat. */
export async function requestHash(userId: number, body: CreateOrderBody): Promise<string> {
  const canonical = JSON.stringify([
    userId,
    body.productId,
    body.quantity,
    Object.entries(body.metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ])
  // node:crypto's hash is synchronous: WebCrypto's digest is a job on the thread pool and a promise, per request.
  return createHash('sha256').update(canonical).digest('hex')
}

/**
 * Reserves `key` for a new order `orderId`, or finds the order an earlier request with the same key and body
 * made (`existing`). Another request with this key may be creating its order right now: its result is ours,
 * waited for. A holder that died mid-creation is taken over after `takeoverAfterMs`. With `slot`, a creation slot
 * is taken with the reservation (`slotTaken`: whether one was left), in the same round trip.
 */
export async function reserveIdempotencyKey(
  store: PayStore,
  userId: number,
  key: string,
  body: CreateOrderBody,
  orderId: string,
  takeoverAfterMs: number,
  slot?: CreationSlot,
): Promise<{ existing?: Order; slotTaken?: boolean }> {
  const hash = await requestHash(userId, body)
  for (const deadline = Date.now() + WAIT_FOR_HOLDER_MS; ; await sleep(100)) {
    const reservation = await store.reserveIdempotencyKey(userId, key, hash, orderId, takeoverAfterMs, slot)
    if (reservation.state === 'reserved')
      return reservation.slotTaken === undefined ? {} : { slotTaken: reservation.slotTaken }
    if (reservation.requestHash !== hash) throw orderErrors.idempotencyConflict()
    if (reservation.completed) {
      const existing = await store.getOrder(reservation.orderId)
      if (!existing) throw new PayError('internal', 'The order of this Idempotency-Key is missing.')
      return { existing }
    }
    if (Date.now() > deadline)
      throw new PayError(
        'idempotency_in_progress',
        'A request with this Idempotency-Key is still being processed; retry shortly.',
      )
  }
}
