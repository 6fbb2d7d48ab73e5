import type { PayError } from './errors'
import type { Order, OrderStatus } from './order'
import { isSettled } from './status'
import type { InvoiceOutcome } from './telegram-bridge'

/**
 * Where one payment attempt stands, for the UI. `paid` is only ever reached from the server's order
 * status, never from what the Telegram client reported.
 */
export type PaymentState =
  | { status: 'idle' }
  | { status: 'creating'; productId: string }
  | { status: 'awaiting_payment'; order: Order }
  | { status: 'confirming'; order: Order; invoiceStatus: InvoiceOutcome }
  | { status: 'paid'; order: Order }
  | { status: 'cancelled'; order: Order }
  | { status: 'failed'; order?: Order; error: PayError }
  | { status: 'expired'; order: Order }

export type PaymentStatus = PaymentState['status']

/** The states a payment ends in. */
export type PaymentResult = Extract<PaymentState, { status: 'paid' | 'cancelled' | 'failed' | 'expired' }>

/** States in which a payment is under way (a second tap is ignored). */
export function isPaymentInFlight(state: PaymentState): boolean {
  // Neither idle nor ended (a payment ends in a settled order's status).
  return state.status !== 'idle' && !isSettled(state.status as OrderStatus)
}
