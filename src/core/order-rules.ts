import type { ClientInvoiceStatus, Order, OrderStatus, Product, ProductKind, Subscription } from './order'
import type { OrderEventKind } from './transitions'

// Rules of the order model that the server and the fake client (tma-pay/testing) both apply. Nothing here is
// in the browser bundle unless an app imports it: the client reads orders, the server writes them.

/**
 * What each status `invoice_closed` reports does to an order. A client's `paid` is never believed: only
 * Telegram's successful_payment pays an order.
 */
export const CLIENT_STATUS_EVENTS: Readonly<Record<ClientInvoiceStatus, OrderEventKind | undefined>> = {
  pending: 'client_opened',
  cancelled: 'client_cancelled',
  failed: 'client_failed',
  paid: undefined,
}

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

/** What buying the product gives: its `kind`, else a subscription with `subscriptionPeriod`, else a consumable. */
export const kindOf = (product: Pick<Product, 'kind' | 'subscriptionPeriod'>): ProductKind =>
  product.kind ?? (product.subscriptionPeriod ? 'subscription' : 'consumable')

/**
 * A pass after `seconds` more of it are bought (or granted) at `now`: a pass that still runs is extended from its
 * end, one that ran out (or never was) starts again now. Times in ms.
 */
export function extendPass(
  current: { active: boolean; grantedAt: string; expiresAt?: string } | undefined,
  seconds: number,
  now: number,
): { grantedAt: number; expiresAt: number; extended: boolean } {
  const running = !!current?.active && current.expiresAt !== undefined
  return running
    ? {
        grantedAt: Date.parse(current!.grantedAt),
        expiresAt: Date.parse(current!.expiresAt!) + seconds * 1000,
        extended: true,
      }
    : { grantedAt: now, expiresAt: now + seconds * 1000, extended: false }
}

/** The most units of a product one order may buy. */
export const maxQuantityOf = (product: Product): number => product.maxQuantity ?? 1

export interface NewOrderInput {
  id: string
  userId: number
  quantity: number
  metadata: Record<string, string>
  invoiceUrl: string
  /** How long it stays payable, in ms. */
  ttlMs: number
  now?: Date
}

/** A new `created` order for `quantity` units of `product`: price, title and currency come from the catalog only. */
export function newOrder(product: Product, input: NewOrderInput): Order {
  const now = input.now ?? new Date()
  const order: Order = {
    id: input.id,
    userId: input.userId,
    productId: product.id,
    title: product.title,
    description: product.description,
    quantity: input.quantity,
    amount: product.amount * input.quantity,
    currency: product.currency ?? 'XTR',
    status: 'created',
    invoiceUrl: input.invoiceUrl,
    metadata: input.metadata,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + input.ttlMs).toISOString(),
  }
  if (product.photoUrl) order.photoUrl = product.photoUrl
  if (product.subscriptionPeriod) order.subscription = { period: product.subscriptionPeriod }
  return order
}

/** Subscription orders `GET /subscriptions` lists: paid ones, and refunded ones (inactive). */
export const listsAsSubscription = (order: Order): boolean =>
  !!order.subscription && (order.status === 'paid' || order.status === 'refunded')

/**
 * A subscription order as `GET /subscriptions` shows it. Active while paid (not refunded) and its period runs.
 * (Telegram's word for a subscription whose renewals are off is `canceled`; an order's status says `cancelled`.)
 */
export function subscriptionOf(order: Order, now = Date.now()): Subscription {
  const { id, productId, status, subscription } = order
  return {
    orderId: id,
    productId,
    period: subscription!.period,
    active: status === 'paid' && Date.parse(subscription!.expiresAt ?? '') > now,
    ...(subscription!.expiresAt ? { expiresAt: subscription!.expiresAt } : {}),
    canceled: !!subscription!.canceled,
  }
}
