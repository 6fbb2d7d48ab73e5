import type { Order } from '../../core'
import { nextStatus } from '../../core/transitions'
import { grantForPayment } from './entitlements'
import { markRefunded } from './refunds'
import { orderFromRow, termsFromRow } from './rows'
import type { SqlDriver, SqlExecutor } from './sql'
import { insertEvent, lockOrder, updateOrder, updateOrderIfUnchanged } from './timeline'
import type { ChargeState, EventInput, PaymentRecord, RecordedPayment } from './types'
import { type RowVersion, type RowVersions, rowVersions } from './versions'

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

/** What the timeline says of a charge. */
const chargeOf = (payment: PaymentRecord) => ({
  telegramPaymentChargeId: payment.telegramPaymentChargeId,
  amount: payment.amount,
  currency: payment.currency,
  ...(payment.refunded ? { refundedInTelegram: true } : {}),
})

/** The paid event's detail: the charge, a payment that came late, a duplicate purchase. */
const paidDetail = (charge: Record<string, unknown>, order: Order, duplicateOf: string | undefined) => ({
  ...charge,
  ...(order.status !== 'processing' && order.status !== 'pending' && order.status !== 'created'
    ? { lateAfter: order.status }
    : {}),
  ...(duplicateOf ? { duplicatePurchase: true, ownedBy: duplicateOf } : {}),
})

/** The order row's changes when a charge pays it. */
const paidChanges = (
  order: Order,
  payment: PaymentRecord,
  next: string,
  now: Date,
  duplicateOf: string | undefined,
) => ({
  status: next,
  telegram_payment_charge_id: payment.telegramPaymentChargeId,
  paid_at: now,
  updated_at: now,
  ...(order.subscription && payment.subscriptionExpiresAt
    ? { subscription: JSON.stringify({ ...order.subscription, expiresAt: payment.subscriptionExpiresAt }) }
    : {}),
  duplicate_of: duplicateOf ?? null,
})

/**
 * The usual payment, a consumable's first, of an order row this store saw last (its pre-checkout's approval), as one
 * statement without a transaction: the order paid (only while the row is still that version), the charge, the
 * event, the NOTIFY and the job. Undefined, with nothing written, when the row changed since, or when the charge is
 * on record already (a redelivery: its unique violation undoes the whole statement); the locked path then decides.
 */
async function payIfUnchanged(
  db: SqlExecutor,
  seen: RowVersion,
  payment: PaymentRecord,
  versions: RowVersions,
): Promise<RecordedPayment | undefined> {
  const order = orderFromRow(seen.row)
  const next = nextStatus(order.status, 'payment_succeeded')
  const usual =
    next !== undefined &&
    !payment.refunded &&
    !order.subscription &&
    termsFromRow(seen.row).kind === 'consumable' &&
    !paymentMismatch(order, payment)
  if (!usual) return undefined
  const now = new Date()
  const detail = paidDetail(chargeOf(payment), order, undefined)
  const charge = (value: (value: unknown) => string) =>
    `p as (
       insert into tma_pay_payments (telegram_payment_charge_id, order_id, user_id, amount, currency, invoice_payload,
         provider_payment_charge_id, source)
       select ${[
         value(payment.telegramPaymentChargeId),
         'id',
         value(payment.userId),
         value(payment.amount),
         value(payment.currency),
         value(payment.invoicePayload),
         value(payment.providerPaymentChargeId ?? null),
         value(payment.source),
       ].join(', ')} from u
     )`
  try {
    const paid = await updateOrderIfUnchanged(
      db,
      seen,
      paidChanges(order, payment, next, now, undefined),
      { source: payment.source, detail },
      now,
      { job: 'order.paid', also: charge, versions },
    )
    return paid && { outcome: 'paid', order: paid }
  } catch (error) {
    if ((error as { code?: unknown }).code === '23505') return undefined
    throw error
  }
}

/** Charges (first payments, renewals, duplicates, mismatches) and the subscriptions they keep running. */
export const paymentQueries = (db: SqlDriver, versions: RowVersions = rowVersions()) => ({
  async recordPayment(payment: PaymentRecord): Promise<RecordedPayment> {
    const seen = versions.take(payment.invoicePayload)
    const usual = seen && (await payIfUnchanged(db, seen, payment, versions))
    if (usual) return usual
    return db.transaction(async (tx) => {
      const now = new Date()
      // One statement: lock the order first (which also queues concurrent redeliveries of this charge behind each
      // other), then record the charge, which its primary key keeps to one row however often it comes.
      const [found] = await tx.query(
        `with o as (select * from tma_pay_orders where id = $5 for update),
         p as (
           insert into tma_pay_payments (telegram_payment_charge_id, order_id, user_id, amount, currency, invoice_payload,
               provider_payment_charge_id, source, refunded_at)
           values ($1, (select id from o), $2, $3, $4, $5, $6, $7, $8)
           on conflict (telegram_payment_charge_id) do nothing returning 1
         )
         select (select count(*) from p) as tma_pay_charge_inserted, o.* from (select 1) as one left join o on true`,
        [
          payment.telegramPaymentChargeId,
          payment.userId,
          payment.amount,
          payment.currency,
          payment.invoicePayload,
          payment.providerPaymentChargeId ?? null,
          payment.source,
          payment.refunded ? now : null,
        ],
      )
      const row = found?.id == null ? undefined : found
      const order = row && orderFromRow(row)
      const inserted = Number(found?.tma_pay_charge_inserted ?? 0) > 0
      if (!order) return inserted ? { outcome: 'orphan' as const } : { outcome: 'known' as const }
      if (!inserted) return { outcome: 'known' as const, order }
      const charge = chargeOf(payment)
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
        : await grantForPayment(tx, order, termsFromRow(row), payment.source, now)
      const detail = paidDetail(charge, order, duplicateOf)
      const changes = paidChanges(order, payment, next, now, duplicateOf)
      // A duplicate purchase fulfils nothing (the user owns it already): its job may refund it instead. Paid and
      // refunded in Telegram before either update reached us: nothing to fulfil, nothing to revoke.
      const job = payment.refunded ? undefined : duplicateOf ? 'order.duplicate' : 'order.paid'
      const paid = await updateOrder(tx, row, changes, { source: payment.source, detail }, now, {
        job,
        versions,
      })
      if (payment.refunded)
        return {
          outcome: 'refunded' as const,
          order: await markRefunded(tx, paid, { source: payment.source, detail: charge }, now),
        }
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
