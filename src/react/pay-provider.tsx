'use client'
import type { ReactNode } from 'react'
import { type Checkout, createPaymentFlow, type PayClient, type PaymentFlow, withVanillaCalls } from '../core'
import type { PayLabels, PayTranslations } from './labels'
import { createContext, QueryClientContext, useContext, useMemo, useState } from './peers'

export interface PayContextValue {
  checkout: PaymentFlow
  language?: string
  labels?: Partial<PayLabels>
  translations?: PayTranslations
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
  const { checkout } = usePayContext('useCheckout()')
  // The provider makes the flow alone (what its hooks need); the vanilla calls are added here, once.
  return useMemo(() => ('pay' in checkout ? (checkout as Checkout) : withVanillaCalls(checkout)), [checkout])
}

interface PayProviderBaseProps {
  /** Overrides of the built-in labels, for every PayButton inside. Default: none (the built-in ones). */
  labels?: Partial<PayLabels>
  /**
   * Labels in other languages, by language code: `{ ru: ruLabels, zh: zhLabels }` (each a separate import, so
   * an app ships only the languages it uses). PayButton picks the user's. Default: none (English).
   */
  translations?: PayTranslations
  /**
   * The user's language, which picks from `translations` (others fall back to English).
   * Default: the Telegram user's `language_code` from init data, else 'en'.
   */
  language?: string
  children?: ReactNode
}

export type PayProviderProps = PayProviderBaseProps &
  (
    | {
        /**
         * The pay server's client from `createPayClient`. The provider makes its checkout from it once, on the
         * first render, so `client={createPayClient(...)}` inline is fine (a later client is not used).
         */
        client: PayClient
        /** A ready checkout (own storage, Telegram bridge, timeouts). Default: `createPaymentFlow({ client })`. */
        checkout?: PaymentFlow
      }
    | { client?: PayClient; checkout: PaymentFlow }
  )

/** Gives the hooks and PayButton below it their checkout. Needs a QueryClientProvider above it. */
export function PayProvider({
  client,
  checkout,
  labels,
  translations,
  language,
  children,
}: PayProviderProps) {
  if (!useContext(QueryClientContext))
    throw new Error('<PayProvider> must be used inside <QueryClientProvider client={queryClient}>.')
  // One checkout for the provider's life: it owns the pending-payment store and every payment under way,
  // which a re-render with a new (inline) client object must not reset. A `checkout` prop always wins.
  const [own] = useState(() => checkout ?? createPaymentFlow({ client: client! }))
  const made = checkout ?? own
  const value = useMemo(
    () => ({ checkout: made, labels, translations, language }),
    [made, labels, translations, language],
  )
  return <PayContext.Provider value={value}>{children}</PayContext.Provider>
}
