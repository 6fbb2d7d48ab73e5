import type { OrderStatus } from './order'

/**
 * What can happen to an order. The one table below decides every status change, on the client
 * (to read an order) and on the server (to write one).
 */
export type OrderEventKind =
  /** The client opened the invoice, or `invoice_closed` said `pending`. */
  | 'client_opened'
  /** `invoice_closed` said `cancelled`: a hint, since clients misreport it. */
  | 'client_cancelled'
  /** `invoice_closed` said `failed`: a hint, since fast taps report it although the user paid. */
  | 'client_failed'
  /** The server approved Telegram's `pre_checkout_query`. */
  | 'precheckout_approved'
  /** The server refused Telegram's `pre_checkout_query`. */
  | 'precheckout_refused'
  /** Telegram's `successful_payment`: money was taken. */
  | 'payment_succeeded'
  /** `expiresAt` passed before payment. */
  | 'expired'
  /** The Stars went back to the user. */
  | 'refunded'

// Client hints never move an order past pre-checkout: once Telegram asked to charge, only Telegram
// (or expiry) decides. This is what makes macOS's `paid` then `cancelled` and the fast tap's false
// `failed` harmless.
const transitions: Record<OrderEventKind, Partial<Record<OrderStatus, OrderStatus>>> = {
  client_opened: { created: 'pending', cancelled: 'pending' },
  client_cancelled: { created: 'cancelled', pending: 'cancelled' },
  client_failed: { created: 'failed', pending: 'failed' },
  precheckout_approved: {
    created: 'processing',
    pending: 'processing',
    cancelled: 'processing',
    processing: 'processing',
  },
  precheckout_refused: { created: 'failed', pending: 'failed', cancelled: 'failed', processing: 'failed' },
  // Money taken is never lost: any state but a settled payment becomes paid.
  payment_succeeded: {
    created: 'paid',
    pending: 'paid',
    processing: 'paid',
    failed: 'paid',
    cancelled: 'paid',
    expired: 'paid',
  },
  expired: { created: 'expired', pending: 'expired', processing: 'expired', cancelled: 'expired' },
  refunded: { paid: 'refunded' },
}

/** The status an order moves to on `event`, or `undefined` when the event does not apply. */
export function nextStatus(current: OrderStatus, event: OrderEventKind): OrderStatus | undefined {
  return transitions[event][current]
}

/** Orders whose money Telegram took (and may have given back). */
export function isPaidOrRefunded(status: OrderStatus): boolean {
  return status === 'paid' || status === 'refunded'
}

/** Statuses for which Telegram's pre-checkout may be approved. */
export function acceptsPreCheckout(status: OrderStatus): boolean {
  return nextStatus(status, 'precheckout_approved') !== undefined
}
