import type { Order } from '../../core'
import { nextStatus } from '../../core/transitions'
import { grantForPayment } from './entitlements'
import { enqueueOutboxJob } from './outbox'
import { markRefunded } from './refunds'
import { orderFromRow } from './rows'
import type { SqlDriver, SqlExecutor } from './sql'
import { insertEvent, lockOrder, lockPurchase } from './timeline'
import type { ChargeState, EventInput, PaymentRecord, RecordedPayment } from './types'

/** How a charge differs from its order (amount, currency, payer), or undefined when it is the order's. */
function paymentMismatch(order: Order, payment: PaymentRecord): Record<string, unknown> | undefined {
  const differs: Record<string, unknown> = {}
  if (payment.amount !== order.amount) differs.amount = { order: order.amount, paid: payment.amount }
  if (payment.currency !== order.currency)
    differs.currency = { order: order.currency, paid: payment.currency }
  if (payment.userId !== order.userId) differs.userId = { order: order.userId, paid: payment.userId }
  return Object.keys(differs).length > 0 ? differs : undefined
}

/** A new charge of a paid subscription order, one period on (`is_recurring`, not the first payment). */
const isRenewal = (
  order: Order,
  payment: PaymentRecord,
): payment is PaymentRecord & { subscriptionExpiresAt: string } =>
  order.status === 'paid' &&
  !!order.subscription &&
  !!payment.subscriptionExpiresAt &&
  !payment.isFirstRecurring

/**
 * Renews the subscription on its order: it stays paid, its charge id becomes the new one (refunds and
 * editUserStarSubscription act on the latest) and `expiresAt` moves on. A renewal delivered after a
 * later one (out of order) is kept on the timeline but moves nothing back.
 */
async function applyRenewal(
  tx: SqlExecutor,
  order: Order,
  payment: PaymentRecord & { subscriptionExpiresAt: string },
  now: Date,
): Promise<Order> {
  const current = order.subscription?.expiresAt
  const latest = !current || Date.parse(payment.subscriptionExpiresAt) > Date.parse(current)
  const [row] = latest
    ? await tx.query(
        `update tma_pay_orders set telegram_payment_charge_id = $2, updated_at = $3, subscription = $4::jsonb
         where id = $1 returning *`,
        [
          order.id,
          payment.telegramPaymentChargeId,
          now,
          JSON.stringify({
            ...order.subscription,
            expiresAt: payment.subscriptionExpiresAt,
            canceled: false,
          }),
        ],
      )
    : await tx.query('update tma_pay_orders set updated_at = $2 where id = $1 returning *', [order.id, now])
  const renewed = orderFromRow(row!)
  const detail = {
    renewal: true,
    telegramPaymentChargeId: payment.telegramPaymentChargeId,
    amount: payment.amount,
    subscriptionExpiresAt: payment.subscriptionExpiresAt,
    ...(latest ? {} : { outOfOrder: true }),
  }
  await insertEvent(tx, renewed, { source: payment.source, detail }, now)
  return renewed
}

/** Charges (first payments, renewals, duplicates, mismatches) and the subscriptions they keep running. */
export const paymentQueries = (db: SqlDriver) => ({
  async recordPayment(payment: PaymentRecord): Promise<RecordedPayment> {
    return db.transaction(async (tx) => {
      // Locking the order first also queues concurrent redeliveries of this charge behind each other.
      const purchase = await lockPurchase(tx, payment.invoicePayload)
      const order = purchase?.order
      const now = new Date()
      const inserted = await tx.query(
        `insert into tma_pay_payments (telegram_payment_charge_id, order_id, user_id, amount, currency, invoice_payload,
             provider_payment_charge_id, source, refunded_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (telegram_payment_charge_id) do nothing returning order_id`,
        [
          payment.telegramPaymentChargeId,
          order?.id ?? null,
          payment.userId,
          payment.amount,
          payment.currency,
          payment.invoicePayload,
          payment.providerPaymentChargeId ?? null,
          payment.source,
          payment.refunded ? now : null,
        ],
      )
      if (!order) return inserted.length > 0 ? { outcome: 'orphan' as const } : { outcome: 'known' as const }
      if (inserted.length === 0) return { outcome: 'known' as const, order }
      const charge = {
        telegramPaymentChargeId: payment.telegramPaymentChargeId,
        amount: payment.amount,
        currency: payment.currency,
        ...(payment.refunded ? { refundedInTelegram: true } : {}),
      }
      const mismatch = paymentMismatch(order, payment)
      if (mismatch) {
        // Money taken is kept on record (for a refund), but a charge that is not the order's pays nothing.
        const detail = { ...charge, payerId: payment.userId, mismatch }
        await insertEvent(tx, order, { source: payment.source, detail }, now)
        return { outcome: 'mismatch' as const, order, detail }
      }
      // No fulfilment job: onPaid ran for the first payment; a renewal shows on the order's subscription.
      if (isRenewal(order, payment))
        return { outcome: 'renewed' as const, order: await applyRenewal(tx, order, payment, now) }
      const next = nextStatus(order.status, 'payment_succeeded')
      if (next === undefined) {
        // A second charge for an order already paid (or refunded): keep the money on record, tell the timeline.
        const detail = { ...charge, duplicateCharge: true }
        await insertEvent(tx, order, { source: payment.source, detail }, now)
        return { outcome: 'duplicate' as const, order, detail }
      }
      // What the order bought is granted in this transaction; a non-consumable owned already makes it a duplicate.
      const { duplicateOf } = payment.refunded
        ? {}
        : await grantForPayment(tx, order, purchase!.terms, payment.source, now)
      const detail = {
        ...charge,
        ...(order.status !== 'processing' && order.status !== 'pending' && order.status !== 'created'
          ? { lateAfter: order.status }
          : {}),
        ...(duplicateOf ? { duplicatePurchase: true, ownedBy: duplicateOf } : {}),
      }
      const subscription =
        order.subscription && payment.subscriptionExpiresAt
          ? JSON.stringify({ ...order.subscription, expiresAt: payment.subscriptionExpiresAt })
          : null
      const [row] = await tx.query(
        `update tma_pay_orders set status = $2, telegram_payment_charge_id = $3, paid_at = $4, updated_at = $4,
             subscription = coalesce($5::jsonb, subscription), duplicate_of = $6
           where id = $1 returning *`,
        [order.id, next, payment.telegramPaymentChargeId, now, subscription, duplicateOf ?? null],
      )
      const paid = orderFromRow(row!)
      await insertEvent(tx, paid, { source: payment.source, detail }, now)
      if (payment.refunded) {
        // Paid and refunded in Telegram before either update reached us: nothing to fulfil, nothing to revoke.
        return {
          outcome: 'refunded' as const,
          order: await markRefunded(tx, paid, { source: payment.source, detail: charge }, now),
        }
      }
      // A duplicate purchase fulfils nothing (the user owns it already): its job may refund it instead.
      await enqueueOutboxJob(tx, order.id, duplicateOf ? 'order.duplicate' : 'order.paid')
      return { outcome: 'paid' as const, order: paid }
    })
  },

  async chargeStates(chargeIds: string[]) {
    const states = new Map<string, ChargeState>()
    if (chargeIds.length === 0) return states
    // The ids travel as one JSON array: both drivers pass text alike, whatever their array support.
    const rows = await db.query(
      `select telegram_payment_charge_id, order_id, refunded_at from tma_pay_payments
         where telegram_payment_charge_id in (select jsonb_array_elements_text($1::text::jsonb))`,
      [JSON.stringify(chargeIds)],
    )
    for (const row of rows)
      states.set(String(row.telegram_payment_charge_id), {
        ...(row.order_id == null ? {} : { orderId: String(row.order_id) }),
        refunded: row.refunded_at != null,
      })
    return states
  },

  async listSubscriptions(userId: number) {
    const rows = await db.query(
      `select * from tma_pay_orders where user_id = $1 and subscription is not null and status in ('paid', 'refunded')
         order by id desc limit 100`,
      [userId],
    )
    return rows.map(orderFromRow)
  },

  async setSubscriptionCanceled(orderId: string, canceled: boolean, event: EventInput) {
    return db.transaction(async (tx) => {
      const order = await lockOrder(tx, orderId)
      if (!order) return undefined
      const { subscription } = order
      if (order.status !== 'paid' || !subscription || !!subscription.canceled === canceled)
        return { order, changed: false }
      const now = new Date()
      const [row] = await tx.query(
        'update tma_pay_orders set subscription = $2::jsonb, updated_at = $3 where id = $1 returning *',
        [orderId, JSON.stringify({ ...subscription, canceled }), now],
      )
      const updated = orderFromRow(row!)
      await insertEvent(tx, updated, event, now)
      return { order: updated, changed: true }
    })
  },
})
