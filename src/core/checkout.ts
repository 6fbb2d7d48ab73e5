import { newIdempotencyKey, type PayClient } from './client'
import { PayError } from './errors'
import type { Order } from './order'
import type { PaymentResult, PaymentState } from './payment-state'
import {
  createPendingPaymentStore,
  type PendingPaymentStore,
  type PendingPaymentStoreOptions,
} from './pending-payment'
import { sleep } from './sleep'
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
  /** First delay between order checks while confirming, in ms; it grows to `pollMaxMs`. Default 1000. */
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

export interface Checkout {
  readonly client: PayClient
  readonly pendingStore: PendingPaymentStore
  /** A controller with its own state, for one button or screen. */
  createPayment(): PaymentController
  /** Portex's `pay`: runs a whole payment; `callback` gets the result too. */
  pay(input: PayInput | string, callback?: (result: PaymentResult) => void): Promise<PaymentResult>
  /** Portex's `queryOrder`: the order as the server has it. */
  queryOrder(orderId: string): Promise<Order>
  /** Portex's `resumePayment`: continues a payment left by a closed app; `null` when none is pending, never a throw. */
  resumePayment(callback?: (result: PaymentResult | null) => void): Promise<PaymentResult | null>
  /** Portex's `hasPendingPayment`. */
  hasPendingPayment(): boolean
  /** Forgets the pending payment (the order itself stays on the server). */
  discardPendingPayment(): void
}

/** Creates the framework-free checkout: the whole payment flow over a pay client and Telegram. */
export function createCheckout(options: CheckoutOptions): Checkout {
  const { client } = options
  const telegram = options.telegram ?? sdkTelegramBridge
  const pendingStore = options.pendingStore ?? createPendingPaymentStore({ storage: options.storage })
  const invoiceTimeoutMs = options.invoiceTimeoutMs ?? 600_000
  const pollInitialMs = options.pollInitialMs ?? 1000
  const pollMaxMs = options.pollMaxMs ?? 5000
  const clearPending = () => pendingStore.getState().clear()

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

    // Polls the order until the server settles it, then ends the flow with the server's word.
    // Network trouble just means asking again later.
    async function confirm(order: Order, signal: AbortSignal): Promise<PaymentResult> {
      let current = order
      let delay = pollInitialMs
      while (!isSettled(current.status)) {
        await sleep(delay, signal)
        delay = Math.min(pollMaxMs, Math.round(delay * 1.5))
        try {
          current = await client.getOrder(current.id, { signal })
        } catch (error) {
          signal.throwIfAborted()
          if (error instanceof PayError && !error.retryable) throw error
        }
      }
      if (pendingStore.getState().pending?.orderId === current.id) clearPending()
      const { status } = current
      if (status === 'paid' || status === 'expired' || status === 'cancelled')
        return settle({ status, order: current }, signal)
      const message = status === 'refunded' ? 'The payment was refunded.' : 'The payment did not go through.'
      return settle(
        { status: 'failed', order: current, error: new PayError('payment_failed', message) },
        signal,
      )
    }

    async function openAndConfirm(order: Order, signal: AbortSignal): Promise<PaymentResult> {
      setState({ status: 'awaiting_payment', order }, signal)
      // Awaited, so this hint cannot overtake the closing hint below.
      await client.reportClientStatus(order.id, 'pending', { signal }).catch(() => undefined)
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
      let current = order
      // The client's word is a hint: the server answers with what the order really is.
      if (outcome !== 'unknown')
        current =
          (await client.reportClientStatus(order.id, outcome, { signal }).catch(() => undefined)) ?? current
      return confirm(current, signal)
    }

    function fail(error: unknown, signal: AbortSignal, order?: Order): PaymentResult {
      signal.throwIfAborted()
      const payError =
        error instanceof PayError
          ? error
          : new PayError('internal', String((error as Error)?.message ?? error), { cause: error })
      if (payError.code === 'aborted') throw payError
      return settle({ status: 'failed', order, error: payError }, signal)
    }

    function run(work: (signal: AbortSignal) => Promise<PaymentResult>): Promise<PaymentResult> {
      const { signal } = abort
      running = work(signal).finally(() => {
        if (!signal.aborted) running = undefined
      })
      return running
    }

    const controller: PaymentController = {
      getState: () => state,
      subscribe(listener) {
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
      pay(input) {
        if (running) return running
        const payInput = typeof input === 'string' ? { productId: input } : input
        return run(async (signal) => {
          let order: Order | undefined
          try {
            setState({ status: 'creating', productId: payInput.productId }, signal)
            const idempotencyKey = newIdempotencyKey()
            order = await client.createOrder(payInput, { idempotencyKey, signal })
            // Persist before hand-off: if the app dies while the invoice is open, the next launch resumes.
            pendingStore.getState().save({
              orderId: order.id,
              idempotencyKey,
              invoiceUrl: order.invoiceUrl,
              productId: order.productId,
              startedAt: new Date().toISOString(),
            })
            return await openAndConfirm(order, signal)
          } catch (error) {
            return fail(error, signal, order)
          }
        })
      },
      resume() {
        if (running) return running
        const pending = pendingStore.getState().pending
        if (!pending) return Promise.resolve(null)
        return run(async (signal) => {
          let order: Order | undefined
          try {
            order = await client.getOrder(pending.orderId, { signal })
            // A settled order just shows its result; one being paid right now is only watched.
            if (order.status === 'processing')
              setState({ status: 'confirming', order, invoiceStatus: 'unknown' }, signal)
            else if (!isSettled(order.status)) return await openAndConfirm(order, signal)
            return await confirm(order, signal)
          } catch (error) {
            // The server no longer knows the order: nothing to resume.
            if (!order && error instanceof PayError && error.code === 'not_found') {
              clearPending()
              setState({ status: 'idle' }, signal)
              return null as never
            }
            return fail(error, signal, order)
          }
        }) as Promise<PaymentResult | null>
      },
      reset() {
        abort.abort(new PayError('aborted', 'The payment flow was stopped.'))
        abort = new AbortController()
        running = undefined
        setState({ status: 'idle' }, abort.signal)
      },
    }
    return controller
  }

  // The vanilla calls share one controller, so a double call makes one order.
  let shared: PaymentController | undefined
  const sharedPayment = () => (shared ??= createPayment())

  return {
    client,
    pendingStore,
    createPayment,
    async pay(input, callback) {
      const result = await sharedPayment().pay(input)
      callback?.(result)
      return result
    },
    queryOrder: (orderId) => client.getOrder(orderId),
    async resumePayment(callback) {
      const result = await sharedPayment()
        .resume()
        .catch(() => null)
      callback?.(result)
      return result
    },
    hasPendingPayment: () => pendingStore.getState().pending !== null,
    discardPendingPayment: clearPending,
  }
}
