import { newIdempotencyKey, type PayClient } from './client'
import { PayError } from './errors'
import type { ClientInvoiceStatus, Entitlement, Order } from './order'
import type { PaymentResult, PaymentState } from './payment-state'
import {
  createPendingPaymentStore,
  type PendingPaymentStore,
  type PendingPaymentStoreOptions,
} from './pending-payment'
import { isSettled } from './status'
import { type InvoiceOutcome, sdkTelegramBridge, type TelegramBridge } from './telegram-bridge'

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
  /** Continues the pending payment, if any: shows its result or reopens its invoice. `null` when none. */
  resume(): Promise<PaymentResult | null>
  /** Stops watching and returns to `idle`; a pending payment stays stored for a later resume. */
  reset(): void
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
  const withCallback = async <T>(result: Promise<T>, callback?: (result: T) => void) => {
    const value = await result
    callback?.(value)
    return value
  }
  return {
    ...flow,
    pay: (input, callback) => withCallback(sharedPayment().pay(input), callback),
    queryOrder: (orderId) => client.getOrder(orderId),
    resumePayment: (callback) =>
      withCallback(
        sharedPayment()
          .resume()
          .catch(() => null),
        callback,
      ),
    hasPendingPayment: () => !!pendingStore.getState().pending,
    listEntitlements: () => client.listEntitlements(),
  }
}

/** The payment flow alone (what `<PayProvider>` makes): controllers over the client, storage and Telegram. */
export function createPaymentFlow(options: CheckoutOptions): PaymentFlow {
  const {
    client,
    telegram = sdkTelegramBridge,
    pendingStore = createPendingPaymentStore(options),
    invoiceTimeoutMs = 600_000,
  } = options
  const stored = () => pendingStore.getState()
  const clearPending = () => stored().clear()

  function createPayment(): PaymentController {
    let state: PaymentState = { status: 'idle' }
    let running: Promise<PaymentResult> | undefined
    let abort = new AbortController()
    const listeners = new Set<PaymentListener>()

    // reset() aborts with an `aborted` PayError, so every wait and check below stops the flow with it.
    const setState = (next: PaymentState, signal: AbortSignal) => {
      signal.throwIfAborted()
      state = next
      for (const listener of listeners) listener(state)
    }
    const settle = (result: PaymentResult, signal: AbortSignal) => {
      telegram.notify(result.status === 'paid' ? 'success' : 'error')
      setState(result, signal)
      return result
    }

    // Watches the order until the server settles it (live, or polling when there is no stream), then
    // ends the flow with the server's word.
    async function confirm(order: Order, signal: AbortSignal): Promise<PaymentResult> {
      const current = isSettled(order.status)
        ? order
        : // The checkout's `live` and poll options are watchOrder's; it reads only those and the signal.
          await client.watchOrder(order.id, () => {}, { ...options, signal })
      if (stored().pending?.orderId === current.id) clearPending()
      const { status } = current
      return settle(
        status === 'failed' || status === 'refunded'
          ? {
              status: 'failed',
              order: current,
              error: new PayError(
                'payment_failed',
                status === 'failed' ? 'The payment did not go through.' : 'The payment was refunded.',
              ),
            }
          : // Settled, so paid, cancelled or expired.
            ({ status, order: current } as PaymentResult),
        signal,
      )
    }

    async function openAndConfirm(order: Order, signal: AbortSignal): Promise<PaymentResult> {
      // The client's word is a hint: the server answers with what the order really is.
      const hint = (status: ClientInvoiceStatus) =>
        client.reportClientStatus(order.id, status, { signal }).catch(() => undefined)
      setState({ status: 'awaiting_payment', order }, signal)
      // Awaited, so this hint cannot overtake the closing hint below.
      await hint('pending')
      let outcome: InvoiceOutcome
      try {
        // reset() must end the flow now, not when the invoice closes (maybe minutes later).
        outcome = await Promise.race([
          telegram.openInvoice(order.invoiceUrl, { timeoutMs: invoiceTimeoutMs }),
          new Promise<never>((_, reject) =>
            signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
          ),
        ])
      } catch (error) {
        // Nothing reached Telegram, so nothing is pending; an aborted flow stays pending for a resume.
        if (!signal.aborted) clearPending()
        throw error
      }
      setState({ status: 'confirming', order, invoiceStatus: outcome }, signal)
      return confirm((outcome !== 'unknown' && (await hint(outcome))) || order, signal)
    }

    // One flow at a time: while one is under way, pay() and resume() return it. A failure ends it as a
    // `failed` result with the order it got to; a stopped flow rejects with the `aborted` PayError.
    function run(work: (signal: AbortSignal, seen: { order?: Order }) => Promise<PaymentResult>) {
      if (running) return running
      const { signal } = abort
      const seen: { order?: Order } = {}
      running = work(signal, seen)
        .catch((error) => {
          signal.throwIfAborted()
          const payError =
            error instanceof PayError
              ? error
              : new PayError('internal', String(error?.message ?? error), { cause: error })
          if (payError.code === 'aborted') throw payError
          return settle({ status: 'failed', order: seen.order, error: payError }, signal)
        })
        .finally(() => {
          if (!signal.aborted) running = undefined
        })
      return running
    }

    return {
      getState: () => state,
      subscribe(listener) {
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
      pay(input) {
        const payInput = typeof input === 'string' ? { productId: input } : input
        return run(async (signal, seen) => {
          setState({ status: 'creating', productId: payInput.productId }, signal)
          const idempotencyKey = newIdempotencyKey()
          const order = await client.createOrder(payInput, { idempotencyKey, signal })
          seen.order = order
          // Persist before hand-off: if the app dies while the invoice is open, the next launch resumes.
          stored().save({
            orderId: order.id,
            idempotencyKey,
            invoiceUrl: order.invoiceUrl,
            productId: order.productId,
            startedAt: new Date().toISOString(),
          })
          return openAndConfirm(order, signal)
        })
      },
      resume() {
        const saved = stored().pending
        if (!(running || saved)) return Promise.resolve(null)
        return run(async (signal, seen) => {
          const order = await client.getOrder(saved!.orderId, { signal }).catch((error) => {
            // The server no longer knows the order: nothing to resume.
            if ((error as PayError)?.code !== 'not_found') throw error
            clearPending()
            setState({ status: 'idle' }, signal)
          })
          if (!order) return null as never
          seen.order = order
          // A settled order just shows its result; one being paid right now is only watched.
          if (order.status === 'processing')
            setState({ status: 'confirming', order, invoiceStatus: 'unknown' }, signal)
          else if (!isSettled(order.status)) return openAndConfirm(order, signal)
          return confirm(order, signal)
        }) as Promise<PaymentResult | null>
      },
      reset() {
        abort.abort(new PayError('aborted', 'The payment flow was stopped.'))
        abort = new AbortController()
        running = undefined
        setState({ status: 'idle' }, abort.signal)
      },
    }
  }

  return { client, pendingStore, createPayment, discardPendingPayment: clearPending }
}
