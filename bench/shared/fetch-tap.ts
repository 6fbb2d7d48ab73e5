// Times the simulator's webhook deliveries from inside this process. The simulator records a delivery only
// when it ends, to the millisecond; step latencies of a few ms need its start and end to the microsecond.
// It posts with the global fetch, so a wrapper around that fetch sees every delivery go out and come back, and
// undici's diagnostics channel says when a request's headers were written to its socket (fetch's own work
// before that, ~0.3-1 ms on these machines, is the sender's, not the server's).
import diagnostics_channel from 'node:diagnostics_channel'

/** Marks the successful_payment deliveries the tap times, so their socket write can be told apart. */
const ORDER_HEADER = 'x-tma-pay-bench-order'

export interface DeliveryTimes {
  /** pre_checkout_query's POST went out. */
  preCheckoutSent?: number
  /** successful_payment's POST went out: the simulator sends it in the same tick chain as it takes the answer
   * to the pre-checkout query, so this is also "answer received", microseconds late. */
  paymentSent?: number
  /** Its request line and headers were written to the socket (fetch's own work done). */
  paymentOnWire?: number
  /** successful_payment's response headers arrived. */
  paymentAnswered?: number
  paymentStatus?: number
}

export interface FetchTap {
  /** The times seen for the order (invoice payload), forgotten once taken. */
  take(orderId: string): DeliveryTimes | undefined
  restore(): void
}

function whichUpdate(body: unknown): { orderId: string; kind: 'preCheckout' | 'payment' } | undefined {
  if (typeof body !== 'string') return undefined
  try {
    const update = JSON.parse(body) as {
      pre_checkout_query?: { invoice_payload: string }
      message?: { successful_payment?: { invoice_payload: string } }
    }
    if (update.pre_checkout_query)
      return { orderId: update.pre_checkout_query.invoice_payload, kind: 'preCheckout' }
    const payment = update.message?.successful_payment
    if (payment) return { orderId: payment.invoice_payload, kind: 'payment' }
  } catch {
    // Not an update.
  }
  return undefined
}

/** Wraps globalThis.fetch; POSTs to `webhookUrl` are timed, everything else passes through untouched. */
export function tapWebhookDeliveries(webhookUrl: string): FetchTap {
  const original = globalThis.fetch
  const seen = new Map<string, DeliveryTimes>()
  const entry = (orderId: string) => {
    const times = seen.get(orderId) ?? {}
    seen.set(orderId, times)
    return times
  }
  const onSendHeaders = (message: unknown) => {
    const at = performance.now()
    const headers = (message as { headers?: unknown }).headers
    if (typeof headers !== 'string') return
    const start = headers.indexOf(`${ORDER_HEADER}: `)
    if (start < 0) return
    const end = headers.indexOf('\r\n', start)
    const times = seen.get(headers.slice(start + ORDER_HEADER.length + 2, end < 0 ? undefined : end))
    if (times) times.paymentOnWire ??= at
  }
  diagnostics_channel.subscribe('undici:client:sendHeaders', onSendHeaders)
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const update = url === webhookUrl ? whichUpdate(init?.body) : undefined
    if (!update) return original(input, init)
    const times = entry(update.orderId)
    const sent = performance.now()
    if (update.kind === 'preCheckout') {
      times.preCheckoutSent ??= sent
      return original(input, init)
    }
    times.paymentSent ??= sent
    const headers = { ...(init?.headers as Record<string, string>), [ORDER_HEADER]: update.orderId }
    const response = await original(input, { ...init, headers })
    times.paymentAnswered ??= performance.now()
    times.paymentStatus ??= response.status
    return response
  }) as typeof fetch
  return {
    take(orderId) {
      const times = seen.get(orderId)
      seen.delete(orderId)
      return times
    },
    restore() {
      globalThis.fetch = original
      diagnostics_channel.unsubscribe('undici:client:sendHeaders', onSendHeaders)
    },
  }
}
