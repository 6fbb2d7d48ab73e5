// Rows of tma-pay's tables as the kit's types. A driver may hand a timestamp as a Date or as text, and jsonb
// as a value or as text: both read alike here.
import type { Order, OrderEvent, OrderStatus, ProductKind } from '../../core'
import type { PurchaseTerms } from './types'

export type Row = Record<string, unknown>

export const iso = (value: unknown): string =>
  (value instanceof Date ? value : new Date(String(value))).toISOString()
const isoOrUndefined = (value: unknown) => (value === null || value === undefined ? undefined : iso(value))
export const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value)

export function orderFromRow(row: Row): Order {
  const order: Order = {
    id: String(row.id),
    userId: Number(row.user_id),
    productId: String(row.product_id),
    title: String(row.title),
    description: String(row.description),
    quantity: Number(row.quantity),
    amount: Number(row.amount),
    currency: String(row.currency),
    status: row.status as OrderStatus,
    invoiceUrl: String(row.invoice_url),
    metadata: json(row.metadata) ?? {},
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    expiresAt: iso(row.expires_at),
  }
  if (row.photo_url != null) order.photoUrl = String(row.photo_url)
  if (row.telegram_payment_charge_id != null)
    order.telegramPaymentChargeId = String(row.telegram_payment_charge_id)
  if (row.duplicate_of != null) order.duplicateOf = String(row.duplicate_of)
  if (row.subscription != null) order.subscription = json(row.subscription)
  const paidAt = isoOrUndefined(row.paid_at)
  if (paidAt) order.paidAt = paidAt
  const refundedAt = isoOrUndefined(row.refunded_at)
  if (refundedAt) order.refundedAt = refundedAt
  return order
}

/** What an order sells, from its row: fixed when it was created. */
export function termsFromRow(row: Row): PurchaseTerms {
  return {
    kind: String(row.product_kind ?? 'consumable') as ProductKind,
    ...(row.access_seconds == null ? {} : { accessSeconds: Number(row.access_seconds) }),
  }
}

export function eventFromRow(row: Row): OrderEvent {
  return {
    at: iso(row.at),
    status: row.status as OrderStatus,
    source: row.source as OrderEvent['source'],
    detail: json(row.detail) ?? {},
  }
}
