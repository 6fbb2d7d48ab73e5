// Entitlements: what each user owns. Non-consumables and passes are rows of their own, changed in the same
// transaction as the payment or refund that changes them; subscriptions are read off their orders.
import type { Entitlement, EntitlementEvent, Order, ProductKind } from '../../core'
import { extendPass } from '../../core/order-rules'
import { iso, json, orderFromRow, type Row } from './rows'
import type { SqlDriver, SqlExecutor } from './sql'
import type { EntitlementChange, PurchaseTerms } from './types'

const OWNABLE: readonly ProductKind[] = ['non-consumable', 'pass']

function entitlementFromRow(row: Row, now = Date.now()): Entitlement {
  const expiresAt = row.expires_at == null ? undefined : iso(row.expires_at)
  return {
    productId: String(row.product_id),
    kind: row.kind as Entitlement['kind'],
    active: row.revoked_at == null && (expiresAt === undefined || Date.parse(expiresAt) > now),
    ...(row.order_id == null ? {} : { orderId: String(row.order_id) }),
    grantedAt: iso(row.granted_at),
    ...(expiresAt ? { expiresAt } : {}),
  }
}

/** A subscription order (the newest paid one of its product) as an entitlement. */
function subscriptionEntitlement(order: Order, now = Date.now()): Entitlement {
  const expiresAt = order.subscription?.expiresAt
  return {
    productId: order.productId,
    kind: 'subscription',
    active: order.status === 'paid' && !!expiresAt && Date.parse(expiresAt) > now,
    orderId: order.id,
    grantedAt: order.paidAt ?? order.createdAt,
    ...(expiresAt ? { expiresAt } : {}),
  }
}

async function insertChange(
  tx: SqlExecutor,
  userId: number,
  productId: string,
  change: EntitlementChange,
  at: Date,
) {
  await tx.query(
    `insert into tma_pay_entitlement_events (user_id, product_id, at, action, source, order_id, seconds, detail)
     values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
    [
      userId,
      productId,
      at,
      change.action,
      change.source,
      change.orderId ?? null,
      change.seconds ?? null,
      JSON.stringify(change.detail ?? {}),
    ],
  )
}

/** The user's row for the product, locked, made (inactive) first if there is none, so concurrent payments queue on it. */
async function lockEntitlement(
  tx: SqlExecutor,
  userId: number,
  productId: string,
  kind: ProductKind,
  now: Date,
) {
  await tx.query(
    `insert into tma_pay_entitlements (user_id, product_id, kind, granted_at, revoked_at) values ($1, $2, $3, $4, $4)
     on conflict (user_id, product_id) do nothing`,
    [userId, productId, kind, now],
  )
  const [row] = await tx.query(
    'select * from tma_pay_entitlements where user_id = $1 and product_id = $2 for update',
    [userId, productId],
  )
  return entitlementFromRow(row!, now.getTime())
}

/**
 * Grants what a paid order bought, in the payment's transaction: a non-consumable becomes owned (unless another
 * order owns it already: then this one is a duplicate purchase, and its id comes back), a pass runs
 * `accessSeconds` more (from now, if it had run out). Consumables and subscriptions grant nothing here.
 */
export async function grantForPayment(
  tx: SqlExecutor,
  order: Order,
  terms: PurchaseTerms,
  source: EntitlementChange['source'],
  now: Date,
): Promise<{ duplicateOf?: string }> {
  if (!OWNABLE.includes(terms.kind)) return {}
  const current = await lockEntitlement(tx, order.userId, order.productId, terms.kind, now)
  if (terms.kind === 'non-consumable') {
    if (current.active && current.orderId && current.orderId !== order.id)
      return { duplicateOf: current.orderId }
    await tx.query(
      `update tma_pay_entitlements set order_id = $3, granted_at = $4, revoked_at = null, expires_at = null
       where user_id = $1 and product_id = $2`,
      [order.userId, order.productId, order.id, now],
    )
    await insertChange(
      tx,
      order.userId,
      order.productId,
      { action: 'granted', source, orderId: order.id },
      now,
    )
    return {}
  }
  const seconds = terms.accessSeconds ?? 0
  const pass = extendPass(current, seconds, now.getTime())
  await tx.query(
    `update tma_pay_entitlements set order_id = $3, granted_at = $4, expires_at = $5, revoked_at = null
     where user_id = $1 and product_id = $2`,
    [order.userId, order.productId, order.id, new Date(pass.grantedAt), new Date(pass.expiresAt)],
  )
  const action = pass.extended ? 'extended' : 'granted'
  await insertChange(tx, order.userId, order.productId, { action, source, orderId: order.id, seconds }, now)
  return {}
}

/**
 * Ends what a refunded order paid for, in the refund's transaction: a non-consumable it owns is revoked (so the
 * product can be bought again), a pass loses the period the order bought.
 */
export async function endForRefund(
  tx: SqlExecutor,
  order: Order,
  terms: PurchaseTerms,
  source: EntitlementChange['source'],
  now: Date,
): Promise<void> {
  if (!OWNABLE.includes(terms.kind) || order.duplicateOf) return
  const [row] = await tx.query(
    'select * from tma_pay_entitlements where user_id = $1 and product_id = $2 for update',
    [order.userId, order.productId],
  )
  if (!row) return
  const current = entitlementFromRow(row, now.getTime())
  if (terms.kind === 'non-consumable') {
    if (current.orderId !== order.id || row.revoked_at != null) return
    await tx.query('update tma_pay_entitlements set revoked_at = $3 where user_id = $1 and product_id = $2', [
      order.userId,
      order.productId,
      now,
    ])
    await insertChange(
      tx,
      order.userId,
      order.productId,
      { action: 'revoked', source, orderId: order.id },
      now,
    )
    return
  }
  const seconds = terms.accessSeconds ?? 0
  if (!current.expiresAt) return
  await tx.query('update tma_pay_entitlements set expires_at = $3 where user_id = $1 and product_id = $2', [
    order.userId,
    order.productId,
    new Date(Date.parse(current.expiresAt) - seconds * 1000),
  ])
  await insertChange(
    tx,
    order.userId,
    order.productId,
    { action: 'shortened', source, orderId: order.id, seconds },
    now,
  )
}

/** Reads and the shop owner's grants and revocations. */
export const entitlementQueries = (db: SqlDriver) => ({
  async listEntitlements(userId: number): Promise<Entitlement[]> {
    const now = Date.now()
    const owned = await db.query(
      'select * from tma_pay_entitlements where user_id = $1 order by product_id',
      [userId],
    )
    // The newest paid (or refunded) order of each subscription product.
    const subscriptions = await db.query(
      `select distinct on (product_id) * from tma_pay_orders
       where user_id = $1 and subscription is not null and status in ('paid', 'refunded')
       order by product_id, id desc`,
      [userId],
    )
    return [
      ...owned.map((row) => entitlementFromRow(row, now)),
      ...subscriptions.map((row) => subscriptionEntitlement(orderFromRow(row), now)),
    ]
  },

  async getEntitlement(userId: number, productId: string): Promise<Entitlement | undefined> {
    const [row] = await db.query(
      'select * from tma_pay_entitlements where user_id = $1 and product_id = $2',
      [userId, productId],
    )
    return row ? entitlementFromRow(row) : undefined
  },

  async findOpenOrder(userId: number, productId: string): Promise<Order | undefined> {
    const [row] = await db.query(
      `select * from tma_pay_orders where user_id = $1 and product_id = $2 and status in ('created', 'pending', 'processing')
       order by id desc limit 1`,
      [userId, productId],
    )
    return row ? orderFromRow(row) : undefined
  },

  /**
   * Grants a non-consumable or a pass without a payment (`seconds` more of a pass), with the reason on its
   * timeline. A non-consumable owned already stays as it is (`changed` false).
   */
  async grantEntitlement(
    userId: number,
    productId: string,
    kind: 'non-consumable' | 'pass',
    seconds: number | undefined,
    change: Omit<EntitlementChange, 'action' | 'seconds'>,
  ): Promise<{ entitlement: Entitlement; changed: boolean }> {
    return db.transaction(async (tx) => {
      const now = new Date()
      const current = await lockEntitlement(tx, userId, productId, kind, now)
      if (kind === 'non-consumable' && current.active) return { entitlement: current, changed: false }
      const pass = kind === 'pass' ? extendPass(current, seconds ?? 0, now.getTime()) : undefined
      const [row] = await tx.query(
        `update tma_pay_entitlements set kind = $3, order_id = null, granted_at = $4, expires_at = $5, revoked_at = null
         where user_id = $1 and product_id = $2 returning *`,
        [
          userId,
          productId,
          kind,
          new Date(pass?.grantedAt ?? now.getTime()),
          pass ? new Date(pass.expiresAt) : null,
        ],
      )
      const action = pass?.extended ? 'extended' : 'granted'
      await insertChange(
        tx,
        userId,
        productId,
        { ...change, action, ...(kind === 'pass' ? { seconds } : {}) },
        now,
      )
      return { entitlement: entitlementFromRow(row!, now.getTime()), changed: true }
    })
  },

  /** Ends a non-consumable or a pass now, with the reason on its timeline. `undefined` when the user never had it. */
  async revokeEntitlement(
    userId: number,
    productId: string,
    change: Omit<EntitlementChange, 'action' | 'seconds'>,
  ): Promise<{ entitlement: Entitlement; changed: boolean } | undefined> {
    return db.transaction(async (tx) => {
      const [row] = await tx.query(
        'select * from tma_pay_entitlements where user_id = $1 and product_id = $2 for update',
        [userId, productId],
      )
      if (!row) return undefined
      const now = new Date()
      if (!entitlementFromRow(row, now.getTime()).active)
        return { entitlement: entitlementFromRow(row), changed: false }
      const [revoked] = await tx.query(
        'update tma_pay_entitlements set revoked_at = $3 where user_id = $1 and product_id = $2 returning *',
        [userId, productId, now],
      )
      await insertChange(tx, userId, productId, { ...change, action: 'revoked' }, now)
      return { entitlement: entitlementFromRow(revoked!, now.getTime()), changed: true }
    })
  },

  async entitlementTimeline(userId: number, productId: string): Promise<EntitlementEvent[]> {
    const rows = await db.query(
      'select * from tma_pay_entitlement_events where user_id = $1 and product_id = $2 order by seq',
      [userId, productId],
    )
    return rows.map((row) => ({
      at: iso(row.at),
      action: row.action as EntitlementEvent['action'],
      source: row.source as EntitlementEvent['source'],
      ...(row.order_id == null ? {} : { orderId: String(row.order_id) }),
      ...(row.seconds == null ? {} : { seconds: Number(row.seconds) }),
      detail: json(row.detail) ?? {},
    }))
  },
})
