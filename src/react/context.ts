'use client'
import { createContext, useContext } from 'react'
import type { Checkout } from '../core'
import type { PayLabels } from './labels'

export interface PayContextValue {
  checkout: Checkout
  language?: string
  labels?: Partial<PayLabels>
}

export const PayContext = createContext<PayContextValue | null>(null)

/** The provider's value; `caller` names the hook or component in the error, so the message points at the right line. */
export function usePayContext(caller: string): PayContextValue {
  const value = useContext(PayContext)
  if (!value) throw new Error(`${caller} must be used inside <PayProvider>`)
  return value
}

/** The provider's checkout, for the vanilla calls (`queryOrder`, `hasPendingPayment`...). */
export function useCheckout(): Checkout {
  return usePayContext('useCheckout()').checkout
}
