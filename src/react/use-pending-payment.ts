'use client'
import { type PaymentResult, type PaymentState, type PendingPayment, resumePayment } from '../core'
import { usePayContext } from './pay-provider'
import { useSyncExternalStore } from './peers'
import { ignoreAbort, type UsePaymentOptions, usePayment } from './use-payment'

export interface UsePendingPaymentResult {
  /** The payment a closed or reloaded Mini App left open, or null. */
  pending: PendingPayment | null
  hasPending: boolean
  /**
   * Asks the server how it ended (or reopens its invoice) and resolves with the result; `null` when nothing
   * is pending or the component unmounted first. Never throws: failures resolve as a `failed` result.
   */
  resume: () => Promise<PaymentResult | null>
  /** Forgets the pending payment (the order stays on the server). */
  discard: () => void
  /** Where the resumed payment stands, as in `usePayment`. */
  state: PaymentState
}

/**
 * The payment a closed Mini App left (persisted before its invoice opened), to resume on the next launch.
 * `options` are `usePayment`'s callbacks, called for the resumed payment.
 */
export function usePendingPayment(options?: UsePaymentOptions): UsePendingPaymentResult {
  const { checkout } = usePayContext('usePendingPayment()')
  const store = checkout.pendingStore
  // As zustand's useStore does: the server (and hydration) sees the initial state, which has nothing pending.
  const pending = useSyncExternalStore(
    store.subscribe,
    () => store.getState().pending,
    () => null,
  )
  const { controller, state } = usePayment(options)
  return {
    pending,
    hasPending: pending !== null,
    resume: async () => (await resumePayment(controller, checkout).catch(ignoreAbort)) ?? null,
    discard: checkout.discardPendingPayment,
    state,
  }
}
