'use client'
import type { ReactNode } from 'react'
import { isPaymentInFlight, type Order, type PayError, type PaymentResult, type Product } from '../core'
import { formatPrice, labelsFor, type PayLabels } from './labels'
import { usePayContext } from './pay-provider'
import { useEffect } from './peers'
import { useProducts } from './queries'
import { buttonCss } from './styles'
import { type MainButtonAdapter, sdkMainButton, useTelegramLanguage } from './telegram'
import { useEntitlements } from './use-entitlements'
import { useLatest } from './use-latest'
import { ignoreAbort, usePaymentState } from './use-payment'

interface PayButtonBaseProps {
  /** How many to buy; the shown price is multiplied by it. Default 1. */
  quantity?: number
  /** The app's own data, stored on the order and handed back in `onPaid`. Default: none. */
  metadata?: Record<string, string>
  /** Called once when the server confirms the payment. Default: none. */
  onPaid?: (order: Order) => void
  /** Called once when a payment fails, with the error (its message is shown under the button too). Default: none. */
  onError?: (error: PayError) => void
  /** Called once with every result: paid, cancelled, failed or expired. Default: none. */
  onSettled?: (result: PaymentResult) => void
  /** Overrides of the labels, over PayProvider's `labels`. Default: the built-ins in the user's language. */
  labels?: Partial<PayLabels>
  /**
   * `inline`: a button in the page. `main-button`: drives Telegram's bottom MainButton, and renders only the
   * line that announces the result. Default 'inline'.
   */
  variant?: 'inline' | 'main-button'
  /** Classes for the inline button; they win over the built-in styles. Default: none. */
  className?: string
  /** Holds the button. Default false. */
  disabled?: boolean
  /** Content of the inline button before paying, instead of the `pay` label. Default: the label with the price. */
  children?: ReactNode
  /**
   * The MainButton the `main-button` variant drives; keep it the same object across renders.
   * Default: @tma.js/sdk's `mainButton`.
   */
  mainButton?: MainButtonAdapter
}

/** A product as PayButton needs it, e.g. one of `useProducts()`. Its `kind` tells an owned or extendable one. */
export type PayButtonProduct = Pick<Product, 'id' | 'amount' | 'currency' | 'kind'>

export type PayButtonProps = PayButtonBaseProps &
  (
    | {
        /** The catalog product to buy; its price is read with `useProducts()`. */
        productId: string
        product?: never
      }
    | {
        /** The product to buy, from `/products`: no catalog fetch. */
        product: PayButtonProduct
        productId?: never
      }
  )

/** Pays for a product: creates the order, opens the invoice and shows the server's result. */
export function PayButton(props: PayButtonProps) {
  const { product, quantity = 1, variant, className = '', disabled, children } = props
  const context = usePayContext('<PayButton>')
  const telegramLanguage = useTelegramLanguage()
  // labelsFor and formatPrice read no language as English.
  const language = context.language ?? telegramLanguage
  const labels = { ...labelsFor(language, context.translations), ...context.labels, ...props.labels }
  const productId = product?.id ?? props.productId!
  const catalog = useProducts({ enabled: !product })
  const priced = product ?? catalog.data?.find((item) => item.id === productId)
  const [state, controller] = usePaymentState(props, '<PayButton>')
  const { status } = state
  // What the user owns is asked only for products that can be owned: a non-consumable is not sold twice,
  // a pass that runs is offered for extending.
  const kind = priced?.kind
  const active = useEntitlements({ enabled: kind === 'non-consumable' || kind === 'pass' }).data?.some(
    (entitlement) => entitlement.productId === productId && entitlement.active,
  )
  const owned = active && kind === 'non-consumable'
  const busy = isPaymentInFlight(state)
  const enabled = !busy && !disabled && status !== 'paid' && !owned
  const price = priced ? formatPrice(priced.amount * quantity, priced.currency, language) : ''
  // A result: paid, cancelled, failed or expired. The line under the button announces it; after one that
  // did not go through, the button offers another try.
  const ended = !busy && status !== 'idle'
  // Before paying, what the user owns decides the label; a payment's own state wins once one started.
  const key =
    status === 'idle'
      ? owned
        ? 'owned'
        : active
          ? 'extend'
          : 'pay'
      : status === 'awaiting_payment'
        ? 'awaitingPayment'
        : ended && status !== 'paid'
          ? 'retry'
          : status
  const text = labels[key].replace('{price}', price).trim()
  const message = ended
    ? labels[status as 'paid'] + (status === 'failed' ? `: ${state.error.message}` : '')
    : ''
  const start = () => {
    if (enabled) void controller.pay({ productId, quantity, metadata: props.metadata }).catch(ignoreAbort)
  }

  // MainButton work happens in effects only: nothing touches Telegram during render or SSR.
  const main = variant === 'main-button'
  const mainButton = props.mainButton ?? sdkMainButton
  const latestStart = useLatest(start)
  useEffect(() => {
    if (!main) return
    const off = mainButton.onClick(() => latestStart.current())
    return () => {
      off()
      mainButton.setParams({ isVisible: false, isLoaderVisible: false })
    }
  }, [main, mainButton, latestStart])
  useEffect(() => {
    if (main) mainButton.setParams({ text, isVisible: true, isEnabled: enabled, isLoaderVisible: busy })
  }, [main, mainButton, text, enabled, busy])

  return (
    <>
      {/* React 19 hoists this into <head> once, however many buttons render, on the server too. */}
      <style href="tma-pay-button" precedence="default">
        {buttonCss}
      </style>
      {!main && (
        <button
          type="button"
          className={`tma-pay-button ${className}`.trim()}
          disabled={!enabled}
          aria-busy={busy}
          data-status={status === 'idle' && owned ? 'owned' : status}
          onClick={start}
        >
          {busy && <span className="tma-pay-spinner" aria-hidden />}
          {status === 'idle' && children != null ? children : text}
        </button>
      )}
      <span role="status" aria-live="polite" className="tma-pay-status" data-status={status}>
        {message}
      </span>
    </>
  )
}
