// What the fake does at each scripted payment: Telegram's side on the order, then what the client reports.
import type { InvoiceOutcome } from '../../core'
import type { OrderEventKind } from '../../core/transitions'

/**
 * What happens to every payment:
 * - `paid`: the user pays; Telegram reports `paid`.
 * - `cancelled`: the user closes the invoice; the order ends `cancelled`.
 * - `failed`: the server refuses pre-checkout; the order ends `failed`.
 * - `slow`: `paid`, with every call and the invoice taking `delayMs` (default 1500).
 * - `network-error`: `createOrder` rejects with `PayError('network_error')` (the first `failFirst` times), then `paid`.
 * - `closed-mid-payment`: the invoice never reports back (the app closed); the order stays `pending` until
 *   `fake.telegram.closeInvoice()` or the checkout's invoice timeout.
 * - `cancelled-but-paid`: the user pays but Telegram reports `cancelled` (the macOS bug); the order ends `paid`.
 * - `expired`: the order expires before payment; the client reports `failed`.
 */
export type FakeScenario =
  | 'paid'
  | 'cancelled'
  | 'failed'
  | 'slow'
  | 'network-error'
  | 'closed-mid-payment'
  | 'cancelled-but-paid'
  | 'expired'

/** How an open invoice ends when closed by hand (`fake.telegram.closeInvoice`). */
export type FakeInvoiceClose = 'paid' | 'cancelled' | 'failed' | 'cancelled-but-paid' | 'expired'

/** What Telegram does on the server's side for each ending, and what the client then reports. */
export const endings: Record<FakeInvoiceClose, { events: OrderEventKind[]; report: InvoiceOutcome }> = {
  paid: { events: ['precheckout_approved', 'payment_succeeded'], report: 'paid' },
  cancelled: { events: [], report: 'cancelled' },
  failed: { events: ['precheckout_refused'], report: 'failed' },
  'cancelled-but-paid': { events: ['precheckout_approved', 'payment_succeeded'], report: 'cancelled' },
  expired: { events: ['expired'], report: 'failed' },
}

/** How each scenario's invoice ends; none for one that stays open. */
export const endingOf: Record<FakeScenario, FakeInvoiceClose | undefined> = {
  paid: 'paid',
  slow: 'paid',
  'network-error': 'paid',
  cancelled: 'cancelled',
  failed: 'failed',
  'cancelled-but-paid': 'cancelled-but-paid',
  expired: 'expired',
  'closed-mid-payment': undefined,
}
