import type { CheckoutOptions, PaymentController, PaymentFlow, PaymentListener } from './checkout'
import { newIdempotencyKey } from './client'
import { PayError } from './errors'
import type { ClientInvoiceStatus, Order } from './order'
import type { PaymentResult, PaymentState } from './payment-state'
import { createPendingPaymentStore } from './pending-payment'
import { isSettled } from './status'
import { type InvoiceOutcome, sdkTelegramBridge } from './telegram-bridge'

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
    let running: Promise<PaymentResult | null> | undefined
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
                `The payment was ${status === 'failed' ? 'refused' : 'refunded'}.`,
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
    function run(work: (signal: AbortSignal, seen: { order?: Order }) => Promise<PaymentResult | null>) {
      if (running) return running
      const { signal } = abort
      const seen: { order?: Order } = {}
      running = work(signal, seen)
        .catch((error) => {
          signal.throwIfAborted()
          const payError =
            error instanceof PayError
              ? error
              : new PayError('internal', `${error?.message ?? error}`, { cause: error })
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
        // A payment's own flow always ends in a result; only start()'s flows may end in null.
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
        }) as Promise<PaymentResult>
      },
      start: (work) => run((signal, seen) => work({ signal, seen, setState, openAndConfirm, confirm })),
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
