/** Where an order stands. `paid` comes only from Telegram's `successful_payment`, never from the client. */
export type OrderStatus =
  | 'created'
  | 'pending'
  | 'processing'
  | 'paid'
  | 'failed'
  | 'cancelled'
  | 'expired'
  | 'refunded'

export const ORDER_STATUSES: readonly OrderStatus[] = [
  'created',
  'pending',
  'processing',
  'paid',
  'failed',
  'cancelled',
  'expired',
  'refunded',
]

export interface OrderSubscription {
  /** Seconds between renewals; Telegram allows 2592000 (30 days) only. */
  period: number
  expiresAt?: string
  canceled?: boolean
}

/** A subscription order as `GET /subscriptions` shows it (what `useSubscription` reads). */
export interface Subscription {
  orderId: string
  productId: string
  /** Seconds between renewals (2592000). */
  period: number
  /** Paid (not refunded) and `expiresAt` still ahead. A canceled subscription stays active until it expires. */
  active: boolean
  /** End of the period paid for; every renewal moves it one period on. */
  expiresAt?: string
  /** True once the user turned renewals off; the period paid for still runs. */
  canceled: boolean
}

export interface Order {
  /** `ord_` followed by a time-sortable unique id. */
  id: string
  /** Telegram user id, from validated init data. */
  userId: number
  productId: string
  title: string
  description: string
  photoUrl?: string
  quantity: number
  /** Integer: Stars for XTR, minor units for other currencies. */
  amount: number
  /** `XTR` for Telegram Stars. */
  currency: string
  status: OrderStatus
  /** `https://t.me/$...` from createInvoiceLink. */
  invoiceUrl: string
  /** The app's own data, handed to `onPaid`. */
  metadata: Record<string, string>
  /** Kept for refunds. */
  telegramPaymentChargeId?: string
  /**
   * A non-consumable paid while another order of the user's already owned it (two devices in a race): the id
   * of that order. The payment is kept (paid), gives nothing new, and may be refunded automatically.
   */
  duplicateOf?: string
  subscription?: OrderSubscription
  createdAt: string
  updatedAt: string
  paidAt?: string
  refundedAt?: string
  expiresAt: string
}

/** Who caused a change on an order's timeline. */
export type TimelineSource = 'client' | 'telegram' | 'server' | 'admin' | 'reconcile'

export interface OrderEvent {
  at: string
  status: OrderStatus
  source: TimelineSource
  detail: Record<string, unknown>
}

export interface OrderTimeline {
  orderId: string
  events: OrderEvent[]
}

/** A product from the server's catalog. Prices live here, never in the client. */
export interface Product {
  id: string
  /** 1-32 characters (Telegram's limit for an invoice title). */
  title: string
  /** 1-255 characters. */
  description: string
  /** Price of one unit: Stars for XTR, minor units otherwise. */
  amount: number
  /** Defaults to `XTR` (Telegram Stars). */
  currency?: string
  photoUrl?: string
  /**
   * What buying it gives: `consumable` (bought again and again; nothing kept), `non-consumable` (once per user,
   * owned until refunded), `pass` (access for `durationSeconds`, extended by each purchase while active) or
   * `subscription` (access Telegram renews). Default 'subscription' with `subscriptionPeriod`, else 'consumable'.
   */
  kind?: ProductKind
  /** How long a `pass` gives access, in seconds, per unit bought. Passes only. */
  durationSeconds?: number
  /** Makes the product a Stars subscription renewed every `subscriptionPeriod` seconds (2592000). */
  subscriptionPeriod?: number
  /** Highest quantity one order may buy (at most 1 for non-consumables and subscriptions). Default 1. */
  maxQuantity?: number
  /** `false` stops new sales and refuses pre-checkout for open orders. Default true. */
  active?: boolean
}

/** What buying a product gives (see `Product.kind`). */
export type ProductKind = 'consumable' | 'non-consumable' | 'pass' | 'subscription'

/** Something a user owns (`GET /entitlements`): a non-consumable, a pass or a subscription. */
export interface Entitlement {
  productId: string
  kind: Exclude<ProductKind, 'consumable'>
  /** Owned now: not refunded or revoked, and (passes, subscriptions) not expired. */
  active: boolean
  /** The order that paid for it (the latest, for a pass); absent for one an admin granted. */
  orderId?: string
  /** When it was granted, or (a pass bought again after it ran out) granted again. */
  grantedAt: string
  /** When access ends: passes and subscriptions. */
  expiresAt?: string
}

/** One change of a user's entitlement, as the shop owner's timeline shows it. */
export interface EntitlementEvent {
  at: string
  /** `granted` (again), `extended` (a pass bought or granted while active), `shortened` (a pass's period refunded), `revoked`. */
  action: 'granted' | 'extended' | 'shortened' | 'revoked'
  source: TimelineSource
  /** The order that paid for it (or was refunded); absent for the shop owner's own grants and revocations. */
  orderId?: string
  /** A pass's seconds granted or taken off. */
  seconds?: number
  /** `reason` and `by` for the shop owner's changes. */
  detail: Record<string, unknown>
}

export interface ListOrdersParams {
  status?: OrderStatus
  /** 1..100, default 20. */
  limit?: number
  /** An order id: returns the orders after it (older ones, as lists are newest first). */
  startingAfter?: string
  /** ISO date: orders created at or after it. */
  createdGte?: string
  /** ISO date: orders created at or before it. */
  createdLte?: string
}

export interface Page<T> {
  data: T[]
  hasMore: boolean
  totalCount: number
}

export interface CreateOrderInput {
  productId: string
  quantity?: number
  metadata?: Record<string, string>
}

/** Statuses `invoice_closed` reports; the server records them as hints. */
export type ClientInvoiceStatus = 'paid' | 'cancelled' | 'failed' | 'pending'
