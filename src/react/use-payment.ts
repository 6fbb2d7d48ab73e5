'use client'
import {
  isPaymentInFlight,
  type Order,
  type PayError,
  type PayInput,
  type PaymentController,
  type PaymentResult,
  type PaymentState,
} from '../core'
import { usePayContext } from './pay-provider'
import { useEffect, useMemo, useQueryClient, useSyncExternalStore } from './peers'
import { payKeys } from './query-keys'
import { useLatest } from './use-latest'

export interface UsePaymentOptions {
  /** Called once when the server confirms the payment, with the paid order. Default: none. */
  onPaid?: (order: Order) => void
  /** Called once when a payment fails (refused, network, invoice), with the error to show. Default: none. */
  onError?: (error: PayError) => void
  /** Called once with every result: paid, cancelled, failed or expired. Default: none. */
  onSettled?: (result: PaymentResult) => void
}

export interface UsePaymentResult {
  /**
   * Starts a payment and resolves with its result (`undefined` when reset or unmounted first).
   * While one is under way, returns that one: a double tap makes one order.
   */
  pay: (input: PayInput | string) => Promise<PaymentResult | undefined>
  /** The controller behind the hook: `resumePayment(controller, checkout)` continues a pending payment in it. */
  controller: PaymentController
  /** Where the payment stands: a tagged union on `status`. */
  state: PaymentState
  order: Order | undefined
  error: PayError | undefined
  /** True while creating, awaiting payment or confirming. */
  isPending: boolean
  /** Stops watching and goes back to `idle`; a pending payment stays stored for `usePendingPayment().resume()`. */
  reset: () => void
}

export const ignoreAbort = (error: PayError) => {
  if (error.code !== 'aborted') throw error
  return undefined
}

/** One payment's state and its `pay`; results come from the server's order status only. */
export function usePayment(options: UsePaymentOptions = {}): UsePaymentResult {
  const [state, controller] = usePaymentState(options, 'usePayment()')
  // Stable functions, so they can sit in effect dependencies.
  const pay = useMemo(
    () => (input: PayInput | string) => controller.pay(input).catch(ignoreAbort),
    [controller],
  )
  return {
    pay,
    reset: controller.reset,
    controller,
    state,
    order: 'order' in state ? state.order : undefined,
    error: state.status === 'failed' ? state.error : undefined,
    isPending: isPaymentInFlight(state),
  }
}

/**
 * A payment controller bound to React: its state, the query cache kept up with its results, the callbacks
 * called once each, and a reset on unmount. What `usePayment` and `PayButton` stand on.
 */
export function usePaymentState(
  options: UsePaymentOptions,
  caller: string,
): [PaymentState, PaymentController] {
  const { checkout } = usePayContext(caller)
  const queryClient = useQueryClient()
  const callbacks = useLatest(options)
  // Made during render but inert until pay(): StrictMode's double render creates no order.
  const controller = useMemo(() => checkout.createPayment(), [checkout])
  const state = useSyncExternalStore(controller.subscribe, controller.getState, controller.getState)

  useEffect(() => {
    const off = controller.subscribe((next) => {
      const settled = next.status !== 'idle' && !isPaymentInFlight(next)
      // A new order (its invoice open now) and every result change the lists: they refetch.
      if (settled || next.status === 'awaiting_payment')
        queryClient.invalidateQueries({ queryKey: payKeys.lists() })
      if (!settled) return
      const result = next as PaymentResult
      const { onPaid, onError, onSettled } = callbacks.current
      // The order's cache gets the server's word; its timeline refetches.
      if (result.order) {
        queryClient.setQueryData(payKeys.order(result.order.id), result.order)
        queryClient.invalidateQueries({ queryKey: payKeys.timeline(result.order.id) })
      }
      if (result.status === 'paid') onPaid?.(result.order)
      if (result.status === 'failed') onError?.(result.error)
      onSettled?.(result)
    })
    return () => {
      off()
      // Unmounted mid-flow: stop polls and timers. The pending payment stays stored for a resume.
      controller.reset()
    }
  }, [controller, queryClient, callbacks])
  return [state, controller]
}
