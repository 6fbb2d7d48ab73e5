// The baseline's database work: the statements tma-pay's SqlPayStore runs for a payment, in the same
// transactions, on tma-pay's schema (migrated by the store's own `migrate`), through the store's own drivers
// (PGlite in process, postgres.js with a pool of 10). Left out, because they are tma-pay's features rather than
// the payment's bookkeeping: the rate-limit count, the pre-checkout's read before its transaction, and the
// fulfilment outbox drain after the payment.
import { newEventId, newOrderId } from '../../src/core/ids'
import { migrate } from '../../src/server/store/migrate'
import { pgliteDriver } from '../../src/server/store/pglite'
import { postgresDriver } from '../../src/server/store/postgres'
import type { SqlDriver, SqlExecutor } from '../../src/server/store/sql'

type Row = Record<string, unknown>
type Executor = SqlExecutor
export type Db = SqlDriver

/** Opens `pglite:DIR` or `postgres://...` and creates tma-pay's schema in it. */
export async function openDb(spec: string): Promise<Db> {
  const db = spec.startsWith('pglite:') ? await pgliteDriver(spec) : postgresDriver(spec)
  await migrate(db)
  return db
}

const insertEvent = (
  tx: Executor,
  orderId: string,
  status: string,
  source: string,
  detail: object,
  at: Date,
) =>
  tx.query(
    'insert into tma_pay_order_events (order_id, at, status, source, detail) values ($1, $2, $3, $4, $5::jsonb)',
    [orderId, at, status, source, JSON.stringify(detail)],
  )

export interface NewOrder {
  userId: number
  productId: string
  title: string
  description: string
  amount: number
  currency: string
  idempotencyKey: string
  requestHash: string
}

/** reserveIdempotencyKey, then insertOrder's transaction (order, event, key completed). */
export async function createOrder(db: Db, input: NewOrder): Promise<Row | undefined> {
  const id = newOrderId()
  const reserved = await db.query(
    `insert into tma_pay_idempotency_keys (user_id, key, request_hash, order_id) values ($1, $2, $3, $4)
     on conflict (user_id, key) do nothing returning key`,
    [input.userId, input.idempotencyKey, input.requestHash, id],
  )
  if (reserved.length === 0) return undefined
  const now = new Date()
  const invoiceUrl = `https://t.me/$bench_${id}`
  const order = {
    id,
    status: 'created',
    amount: input.amount,
    currency: input.currency,
    invoiceUrl,
    createdAt: now.toISOString(),
  }
  await db.transaction(async (tx) => {
    await tx.query(
      `insert into tma_pay_orders (id, user_id, product_id, title, description, photo_url, quantity, amount, currency,
         status, invoice_url, metadata, subscription, created_at, updated_at, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13::jsonb, $14, $15, $16)`,
      [
        id,
        input.userId,
        input.productId,
        input.title,
        input.description,
        null,
        1,
        input.amount,
        input.currency,
        'created',
        invoiceUrl,
        '{}',
        null,
        order.createdAt,
        order.createdAt,
        new Date(now.getTime() + 3_600_000).toISOString(),
      ],
    )
    await insertEvent(tx, id, 'created', 'server', { invoiceUrl }, now)
    await tx.query('update tma_pay_idempotency_keys set completed = true where user_id = $1 and key = $2', [
      input.userId,
      input.idempotencyKey,
    ])
  })
  return order
}

/** applyEvent('precheckout_approved')'s transaction: lock, update, event. Refuses what tma-pay would refuse. */
export async function approvePreCheckout(
  db: Db,
  orderId: string,
  query: { id: string; userId: number; totalAmount: number; currency: string },
): Promise<string | undefined> {
  return db.transaction(async (tx) => {
    const [order] = await tx.query('select * from tma_pay_orders where id = $1 for update', [orderId])
    if (!order) return 'unknown_order'
    if (Number(order.user_id) !== query.userId) return 'wrong_user'
    if (Number(order.amount) !== query.totalAmount || order.currency !== query.currency)
      return 'amount_mismatch'
    if (order.status !== 'created' && order.status !== 'pending') return 'not_payable'
    const now = new Date()
    await tx.query('update tma_pay_orders set status = $2, updated_at = $3 where id = $1 returning *', [
      orderId,
      'processing',
      now,
    ])
    await insertEvent(tx, orderId, 'processing', 'telegram', { preCheckoutQueryId: query.id }, now)
    return undefined
  })
}

/** recordPayment's transaction: the charge, the order paid, its event, the outbox job. */
export async function recordPayment(
  db: Db,
  payment: { chargeId: string; orderId: string; userId: number; amount: number; currency: string },
): Promise<string | undefined> {
  return db.transaction(async (tx) => {
    const known = await tx.query('select id from tma_pay_orders where id = $1', [payment.orderId])
    const orderId = known.length ? payment.orderId : null
    const inserted = await tx.query(
      `insert into tma_pay_payments (telegram_payment_charge_id, order_id, user_id, amount, currency, invoice_payload,
         provider_payment_charge_id, source)
       values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (telegram_payment_charge_id) do nothing returning order_id`,
      [
        payment.chargeId,
        orderId,
        payment.userId,
        payment.amount,
        payment.currency,
        payment.orderId,
        null,
        'telegram',
      ],
    )
    if (!orderId) return undefined
    const [order] = await tx.query('select * from tma_pay_orders where id = $1 for update', [orderId])
    if (!order || inserted.length === 0) return order ? String(order.status) : undefined
    const now = new Date()
    const [row] = await tx.query(
      `update tma_pay_orders set status = $2, telegram_payment_charge_id = $3, paid_at = $4, updated_at = $4,
         subscription = coalesce($5::jsonb, subscription)
       where id = $1 returning *`,
      [orderId, 'paid', payment.chargeId, now, null],
    )
    const detail = {
      telegramPaymentChargeId: payment.chargeId,
      amount: payment.amount,
      currency: payment.currency,
    }
    await insertEvent(tx, orderId, 'paid', 'telegram', detail, now)
    await tx.query(
      `insert into tma_pay_outbox (id, order_id, type) values ($1, $2, 'order.paid') on conflict (order_id, type) do nothing`,
      [newEventId(), orderId],
    )
    return String(row?.status)
  })
}
