import type { Order, OrderStatus } from './order'

// Rules of the order model that the server and the fake client (tma-pay/testing) both apply.

/** Statuses an order may expire from: not paid, and not ended by the server (failed) or Telegram. */
export const EXPIRABLE_STATUSES: readonly OrderStatus[] = ['created', 'pending', 'processing', 'cancelled']

/**
 * The moment an unpaid order may be expired. A `processing` order (Telegram approved its pre-checkout and
 * is charging the user) waits at least `processingTimeoutMs` from that approval (its last change), so an
 * order approved just before its deadline is not shown `expired` moments before the payment lands.
 */
export function expiryDeadline(order: Order, processingTimeoutMs: number): number {
  const deadline = Date.parse(order.expiresAt)
  return order.status === 'processing'
    ? Math.max(deadline, Date.parse(order.updatedAt) + processingTimeoutMs)
    : deadline
}

/** Telegram's largest invoice totals: amounts are 32-bit integers, and a Stars invoice takes at most 100000. */
export const MAX_INVOICE_AMOUNT = 2_147_483_647
export const MAX_STARS_INVOICE_AMOUNT = 100_000

/** The largest total one invoice may have in `currency` (minor units; Stars for XTR). */
export const maxInvoiceAmount = (currency: string): number =>
  currency === 'XTR' ? MAX_STARS_INVOICE_AMOUNT : MAX_INVOICE_AMOUNT
