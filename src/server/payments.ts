// Recording a charge, the one path for both the webhook's successful_payment and reconciliation: whatever the
// outcome, the money is on record; only a charge that is the order's own pays it.
import type { Order } from '../core'
import type { Logger } from './logger'
import type { PayMetrics } from './metrics'
import type { PaymentRecord, PayStore, RecordedPayment } from './store/types'

export interface PaymentRecorderOptions {
  store: PayStore
  logger: Logger
  metrics: PayMetrics
  /** Called after a charge changed an order (paid, renewed, or refunded on arrival): fulfilment is queued by then. */
  onPaymentApplied: (order: Order) => void
}

export function createPaymentRecorder({ store, logger, metrics, onPaymentApplied }: PaymentRecorderOptions) {
  return async function recordPayment(payment: PaymentRecord): Promise<RecordedPayment> {
    const result = await store.recordPayment(payment)
    metrics.payment?.(result.outcome, payment.source)
    const charge = {
      invoicePayload: payment.invoicePayload,
      telegramPaymentChargeId: payment.telegramPaymentChargeId,
      source: payment.source,
    }
    switch (result.outcome) {
      case 'orphan':
        logger.error('a payment for no known order; the charge is recorded for a refund', charge)
        break
      case 'mismatch':
        // Telegram checks the amount at pre-checkout, so this takes a leaked webhook secret or a bug.
        logger.error(
          'a payment that does not match its order: recorded for a refund, the order is not paid',
          {
            ...charge,
            orderId: result.order.id,
            mismatch: result.detail.mismatch,
          },
        )
        break
      case 'duplicate':
        logger.warn('a second charge for an order already paid; recorded for a refund', {
          ...charge,
          orderId: result.order.id,
        })
        break
      case 'paid':
      case 'renewed':
      case 'refunded':
        onPaymentApplied(result.order)
        break
    }
    return result
  }
}

export type RecordPayment = ReturnType<typeof createPaymentRecorder>
