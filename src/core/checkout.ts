import type { PayClient } from './client'
import type { Entitlement, Order } from './order'
import { createPaymentFlow } from './payment-flow'
import type { PaymentResult, PaymentState } from './payment-state'
import type { PendingPaymentStore, PendingPaymentStoreOptions } from './pending-payment'
import { resumePayment } from './resume'
import type { TelegramBridge } from './telegram-bridge'

export { createPaymentFlow } from './payment-flow'

export interface PayInput {
  productId: string
  quantity?: number
  metadata?: Record<string, string>
}

export interface CheckoutOptions {
  /** The pay server's client from `createPayClient`. */
  client: PayClient
  /** Storage for the pending payment (survives a closed Mini App). Default: `localStorage`. */
  storage?: PendingPaymentStoreOptions['storage']
  /** A pending-payment store to share (several checkouts, tests). Default: one made from `storage`. */
  pendingStore?: PendingPaymentStore
  /** How the invoice opens and haptics play. Default: @tma.js/sdk (`invoice.openUrl`, `hapticFeedback`). */
  telegram?: TelegramBridge
  /** Longest wait for `invoice_closed` before asking the server instead, in ms. Default 600000 (10 minutes). */
  invoiceTimeoutMs?: number
  /** Watch the order over its live stream while confirming, and poll only when the stream fails. Default true. */
  live?: boolean
  /** First delay between order checks while confirming without a stream, in ms; it grows to `pollMaxMs`. Default 1000. */
  pollInitialMs?: number
  /** Longest delay between order checks while confirming, in ms. Default 5000. */
  pollMaxMs?: number
}

export type PaymentListener = (state: PaymentState) => void

/** One payment attempt's flow and state: what `usePayment` and `PayButton` bind to. */
export interface PaymentController {
  getState(): PaymentState
  subscribe(listener: PaymentListener): () => void
  /** Starts a payment; while one is under way, returns that one (a double tap makes one order). */
  pay(input: PayInput | string): Promise<PaymentResult>
  /**
   * Runs a flow of your own in this controller, with its steps (what `resumePayment` does); while a payment is
   * under way, returns that one instead.
   */
  start(work: (steps: PaymentSteps) => Promise<PaymentResult | null>): Promise<PaymentResult | null>
  /** Stops watching and returns to `idle`; a pending payment stays stored for a later resume. */
  reset(): void
}

/** The steps a flow of its own (`PaymentController.start`) is made of; given `signal`, they stop when the flow is reset. */
export interface PaymentSteps {
  signal: AbortSignal
  /** The order the flow got to, for a `failed` result. */
  seen: { order?: Order }
  setState(next: PaymentState, signal: AbortSignal): void
  /** Opens the order's invoice, reports what it said as a hint, and confirms with the server. */
  openAndConfirm(order: Order, signal: AbortSignal): Promise<PaymentResult>
  /** Watches the order until the server settles it, and ends the flow with its word. */
  confirm(order: Order, signal: AbortSignal): Promise<PaymentResult>
}

/** The payment flow over a client and Telegram, without the vanilla calls: what `<PayProvider>` needs. */
export interface PaymentFlow {
  readonly client: PayClient
  readonly pendingStore: PendingPaymentStore
  /** A controller with its own state, for one button or screen. */
  createPayment(): PaymentController
  /** Forgets the pending payment (the order itself stays on the server). */
  discardPendingPayment(): void
}

export interface Checkout extends PaymentFlow {
  /** Portex's `pay`: runs a whole payment; `callback` gets the result too. */
  pay(input: PayInput | string, callback?: (result: PaymentResult) => void): Promise<PaymentResult>
  /** Portex's `queryOrder`: the order as the server has it. */
  queryOrder(orderId: string): Promise<Order>
  /** Portex's `resumePayment`: continues a payment left by a closed app; `null` when none is pending, never a throw. */
  resumePayment(callback?: (result: PaymentResult | null) => void): Promise<PaymentResult | null>
  /** Portex's `hasPendingPayment`. */
  hasPendingPayment(): boolean
  /** What the user owns (`GET /entitlements`), as `useEntitlements` reads it. */
  listEntitlements(): Promise<Entitlement[]>
}

/** Creates the framework-free checkout: the whole payment flow over a pay client and Telegram, with Portex's calls. */
export function createCheckout(options: CheckoutOptions): Checkout {
  return withVanillaCalls(createPaymentFlow(options))
}

/** Portex's four calls (and the entitlements read) over a payment flow; they share one controller, so a double call makes one order. */
export function withVanillaCalls(flow: PaymentFlow): Checkout {
  const { client, pendingStore } = flow
  let shared: PaymentController | undefined
  const sharedPayment = () => (shared ??= flow.createPayment())
  const withCallback = <T>(result: Promise<T>, callback?: (result: T) => void) =>
    result.then((value) => {
      callback?.(value)
      return value
    })
  return {
    ...flow,
    pay: (input, callback) => withCallback(sharedPayment().pay(input), callback),
    queryOrder: (orderId) => client.getOrder(orderId),
    resumePayment: (callback) =>
      withCallback(
        resumePayment(sharedPayment(), flow).catch(() => null),
        callback,
      ),
    hasPendingPayment: () => !!pendingStore.getState().pending,
    listEntitlements: () => client.listEntitlements(),
  }
}
