import type { PaymentController, PaymentFlow } from './checkout'
import type { PayError } from './errors'
import { isPaymentInFlight, type PaymentResult } from './payment-state'
import { isSettled } from './status'

/**
 * Continues, in `controller`, the pending payment a closed or reloaded Mini App left: a settled order shows its
 * result, one being paid is watched, an open one has its invoice reopened. `null` when nothing is pending (or the
 * server no longer knows the order); the payment under way when one is. A function of its own, so an app that
 * never resumes does not ship it.
 */
export function resumePayment(
  controller: PaymentController,
  { client, pendingStore }: Pick<PaymentFlow, 'client' | 'pendingStore'>,
): Promise<PaymentResult | null> {
  const saved = pendingStore.getState().pending
  if (!saved && !isPaymentInFlight(controller.getState())) return Promise.resolve(null)
  return controller.start(async ({ signal, seen, setState, openAndConfirm, confirm }) => {
    const order = await client.getOrder(saved!.orderId, { signal }).catch((error) => {
      // The server no longer knows the order: nothing to resume.
      if ((error as PayError)?.code !== 'not_found') throw error
      pendingStore.getState().clear()
      setState({ status: 'idle' }, signal)
    })
    if (!order) return null
    seen.order = order
    // A settled order just shows its result; one being paid right now is only watched.
    if (order.status === 'processing')
      setState({ status: 'confirming', order, invoiceStatus: 'unknown' }, signal)
    else if (!isSettled(order.status)) return openAndConfirm(order, signal)
    return confirm(order, signal)
  })
}
