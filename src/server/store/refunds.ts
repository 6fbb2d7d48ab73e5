import type { Order } from '../../core'
import { nextStatus } from '../../core/transitions'
import { endForRefund } from './entitlements'
import { enqueueOutboxJob } from './outbox'
import { iso, orderFromRow } from './rows'
import type { SqlDriver, SqlExecutor } from './sql'
import { insertEvent, lockPurchase } from './timeline'
import type { EventInput, RefundClaim, RefundOutcome } from './types'

/** Makes the (locked, paid) order refunded with its timeline event; the caller decides on an outbox job. */
export async function markRefunded(
  tx: SqlExecutor,
  order: Order,
  event: EventInput,
  now: Date,
): Promise<Order> {
  const [row] = await tx.query(
    `update tma_pay_orders set status = 'refunded', updated_at = $2, refunded_at = $2, refund_started_at = null
     where id = $1 returning *`,
    [order.id, now],
  )
  const refunded = orderFromRow(row!)
  await insertEvent(tx, refunded, event, now)
  return refunded
}

/** Refunds: the claim that makes one caller ask Telegram, and the refund of one charge. */
export const refundQueries = (db: SqlDriver) => ({
  async claimRefund(orderId: string, leaseMs: number): Promise<RefundClaim | undefined> {
    return db.transaction(async (tx) => {
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
  },

  async releaseRefund(orderId: string) {
    await db.query('update tma_pay_orders set refund_started_at = null where id = $1', [orderId])
  },

  async applyRefund(
    orderId: string,
    telegramPaymentChargeId: string,
    event: EventInput,
    options: { yieldToClaimMs?: number } = {},
  ) {
    return db.transaction(async (tx) => {
      const purchase = await lockPurchase(tx, orderId)
      if (!purchase) return undefined
      const { order, terms } = purchase
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
        // The refund ends what the order paid for. A duplicate purchase fulfilled nothing, so nothing is revoked.
        await endForRefund(tx, order, terms, event.source, now)
        if (!order.duplicateOf) await enqueueOutboxJob(tx, orderId, 'order.refunded')
        outcome = 'refunded'
      } else if (!current && charge.length > 0) {
        // A refund of an earlier charge (a subscription's previous period): the order's own payment stands.
        const detail = { ...event.detail, chargeRefunded: true, orderChargeId: order.telegramPaymentChargeId }
        await insertEvent(tx, order, { source: event.source, detail }, now)
        outcome = 'charge_refunded'
      }
      return { order: result, outcome }
    })
  },
})
