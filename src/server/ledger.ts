// Telegram's Star ledger (getStarTransactions) read as payments and refunds. A refund is an outgoing
// transaction (a receiver, not a source) with the same id as the charge it gives back.
import type { StarTransaction } from 'grammy/types'
import type { PaymentRecord } from './store/types'

/** A refund in the ledger: an outgoing transaction to a user, with the id of the charge it gave back. */
export interface FoundRefund {
  chargeId: string
  invoicePayload: string
  amount: number
}

/** An incoming payment found in the ledger, with what its subscription expiry is derived from. */
export interface FoundPayment {
  payment: PaymentRecord
  /** Unix time of the charge. */
  date: number
  subscriptionPeriod?: number
}

/** An incoming payment by a user for one of the bot's invoices; else undefined. */
export function paymentFromTransaction(transaction: StarTransaction): FoundPayment | undefined {
  // Refunds are outgoing: they have a receiver, never a source.
  const source = transaction.source
  if (source?.type !== 'user' || source.transaction_type !== 'invoice_payment') return undefined
  if (!source.invoice_payload) return undefined
  const payment: PaymentRecord = {
    // "Coincides with SuccessfulPayment.telegram_payment_charge_id for successful incoming payments."
    telegramPaymentChargeId: transaction.id,
    invoicePayload: source.invoice_payload,
    userId: source.user.id,
    amount: transaction.amount,
    currency: 'XTR',
    source: 'reconcile',
  }
  if (!source.subscription_period) return { payment, date: transaction.date }
  return { payment, date: transaction.date, subscriptionPeriod: source.subscription_period }
}

/** A refund of an invoice payment (same id as the charge, per StarTransaction.id); else undefined. */
export function refundFromTransaction(transaction: StarTransaction): FoundRefund | undefined {
  const receiver = transaction.receiver
  if (receiver?.type !== 'user' || receiver.transaction_type !== 'invoice_payment') return undefined
  if (!receiver.invoice_payload) return undefined
  return { chargeId: transaction.id, invoicePayload: receiver.invoice_payload, amount: transaction.amount }
}

/** Whether paging further can only find transactions older than `cutoff` (Unix seconds). */
export function pastLookback(page: StarTransaction[], cutoff: number): boolean {
  const first = page[0]
  const last = page.at(-1)
  if (!first || !last) return true
  // Telegram answers newest first, although the spec says "chronological order": a page that runs
  // oldest first gives no such bound, so paging then goes on to the end.
  return first.date >= last.date && last.date < cutoff
}
