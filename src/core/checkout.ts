import { newIdempotencyKey, type PayClient } from './client'
import { PayError } from './errors'
import type { Order } from './order'
import type { PaymentResult, PaymentState } from './payment-state'
import {
  createPendingPaymentStore,
  type PendingPayment,
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

const abortError = () => new PayError('aborted', 'The payment flow was stopped.')

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError())
    const onAbort = () => {
      clearTimeout(timer)
      reject(abortError())
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

const toPayError = (error: unknown) =>
  error instanceof PayError
    ? error
    : new PayError('internal', error instanceof Error ? error.message : String(error), { cause: error })

/** Creates the framework-free checkout: the whole payment flow over a pay client and Telegram. */
export function createCheckout(options: CheckoutOptions): Checkout {
  const { client } = options
  const telegram = options.telegram ?? sdkTelegramBridge
  const pendingStore = options.pendingStore ?? createPendingPaymentStore({ storage: options.storage })
  const invoiceTimeoutMs = options.invoiceTimeoutMs ?? 600_000
  const pollInitialMs = options.pollInitialMs ?? 1000
  const pollMaxMs = options.pollMaxMs ?? 5000

  function createPayment(): PaymentController {
    let state: PaymentState = { status: 'idle' }
    let running: Promise<PaymentResult> | undefined
    let abort = new AbortController()
    const listeners = new Set<PaymentListener>()

    const setState = (next: PaymentState, signal: AbortSignal) => {
      if (signal.aborted) throw abortError()
      state = next
      for (const listener of listeners) listener(state)
    }

    // Polls the order until the server settles it. Network trouble just means asking again later.
    async function watch(order: Order, signal: AbortSignal): Promise<Order> {
      let current = order
      let delay = pollInitialMs
      while (!isSettled(current.status)) {
        await sleep(delay, signal)
        delay = Math.min(pollMaxMs, Math.round(delay * 1.5))
        try {
          current = await client.getOrder(current.id, { signal })
        } catch (error) {
          if (signal.aborted) throw abortError()
          if (error instanceof PayError && !error.retryable) throw error
        }
      }
      return current
    }

    function finish(order: Order, signal: AbortSignal): PaymentResult {
      if (pendingStore.getState().pending?.orderId === order.id) pendingStore.getState().clear()
      let result: PaymentResult
      if (order.status === 'paid') result = { status: 'paid', order }
      else if (order.status === 'expired') result = { status: 'expired', order }
      else if (order.status === 'cancelled') result = { status: 'cancelled', order }
      else if (order.status === 'refunded')
        result = {
          status: 'failed',
          order,
          error: new PayError('payment_failed', 'This order was refunded.'),
        }
      else
        result = {
          status: 'failed',
          order,
          error: new PayError('payment_failed', 'The payment did not go through.'),
        }
      telegram.notify(result.status === 'paid' ? 'success' : 'error')
      setState(result, signal)
      return result
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
            signal.addEventListener('abort', () => reject(abortError()), { once: true }),
          ),
        ])
      } catch (error) {
        // Nothing reached Telegram, so nothing is pending; an aborted flow stays pending for a resume.
        if (!signal.aborted) pendingStore.getState().clear()
        throw error
      }
      setState({ status: 'confirming', order, invoiceStatus: outcome }, signal)
      let current = order
      // The client's word is a hint: the server answers with what the order really is.
      if (outcome !== 'unknown')
        current =
          (await client.reportClientStatus(order.id, outcome, { signal }).catch(() => undefined)) ?? current
      current = await watch(current, signal)
      return finish(current, signal)
    }

    async function fail(error: unknown, signal: AbortSignal, order?: Order): Promise<PaymentResult> {
      if (signal.aborted) throw abortError()
      const payError = toPayError(error)
      if (payError.code === 'aborted') throw payError
      const result: PaymentResult = order
        ? { status: 'failed', order, error: payError }
        : { status: 'failed', error: payError }
      telegram.notify('error')
      setState(result, signal)
      return result
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
            const pending: PendingPayment = {
              orderId: order.id,
              idempotencyKey,
              invoiceUrl: order.invoiceUrl,
              productId: order.productId,
              startedAt: new Date().toISOString(),
            }
            // Persist before hand-off: if the app dies while the invoice is open, the next launch resumes.
            pendingStore.getState().save(pending)
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
          } catch (error) {
            if (error instanceof PayError && error.code === 'not_found') {
              pendingStore.getState().clear()
              setState({ status: 'idle' }, signal)
              return null as never
            }
            return fail(error, signal)
          }
          try {
            if (isSettled(order.status)) return finish(order, signal)
            if (order.status === 'processing') {
              setState({ status: 'confirming', order, invoiceStatus: 'unknown' }, signal)
              return finish(await watch(order, signal), signal)
            }
            return await openAndConfirm(order, signal)
          } catch (error) {
            return fail(error, signal, order)
          }
        }) as Promise<PaymentResult | null>
      },
      reset() {
        abort.abort()
        abort = new AbortController()
        running = undefined
        state = { status: 'idle' }
        for (const listener of listeners) listener(state)
      },
    }
    return controller
  }

  // The vanilla calls share one controller, so a double call makes one order.
  let shared: PaymentController | undefined
  const sharedPayment = () => {
    shared ??= createPayment()
    return shared
  }

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
      let result: PaymentResult | null = null
      try {
        result = await sharedPayment().resume()
      } catch {
        result = null
      }
      callback?.(result)
      return result
    },
    hasPendingPayment: () => pendingStore.getState().pending !== null,
    discardPendingPayment: () => pendingStore.getState().clear(),
  }
}
