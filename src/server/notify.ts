import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Order } from '../core'
import type { FulfillmentContext, FulfillmentHandler } from './fulfillment'
import { redactUrl } from './redact'

export interface NotifierOptions {
  /** The app backend's endpoint; every paid or refunded order is POSTed to it. */
  url: string
  /** Shared with the receiver, which checks `X-Tma-Pay-Signature` with `verifyNotifySignature`. */
  secret: string
  /** The fetch that sends the notifications (a test double, a proxy agent). Default: the global `fetch`. */
  fetch?: typeof fetch
  /** How long one attempt may take before it counts as failed and is retried, in ms. Default 10000. */
  timeoutMs?: number
}

/** The JSON body of a notification. `id` is the same on every retry of one event, so receivers can dedupe. */
export interface PayNotification {
  id: string
  type: 'order.paid' | 'order.refunded'
  order: Order
}

/** Header carrying `sha256=<hex HMAC-SHA256 of the raw body under the notify secret>`. */
export const NOTIFY_SIGNATURE_HEADER = 'X-Tma-Pay-Signature'

const hmac = (rawBody: string | Uint8Array, secret: string) =>
  createHmac('sha256', secret).update(rawBody).digest()

/** The `X-Tma-Pay-Signature` value for a body: `sha256=<hex>`. */
export function signNotifyBody(rawBody: string | Uint8Array, secret: string): string {
  return `sha256=${hmac(rawBody, secret).toString('hex')}`
}

/**
 * Checks a notification's `X-Tma-Pay-Signature` against the exact raw body (before any JSON parsing:
 * re-serializing changes the bytes). Timing-safe.
 */
export function verifyNotifySignature(
  rawBody: string | Uint8Array,
  header: string | null | undefined,
  secret: string,
): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header?.trim() ?? '')
  if (!match || !secret) return false
  return timingSafeEqual(Buffer.from(match[1]!, 'hex'), hmac(rawBody, secret))
}

/**
 * Fulfilment handlers that tell the app's backend about paid and refunded orders over HTTP, for servers
 * without an `onPaid` function of their own (`tma-pay serve`). Each call POSTs one signed
 * `PayNotification`; a non-2xx answer, a network error or a timeout throws, so the fulfilment outbox
 * retries it with backoff (the same `id` each time) until the backend takes it, once per order and type.
 */
export function createNotifier(options: NotifierOptions): {
  onPaid: FulfillmentHandler
  onRefunded: FulfillmentHandler
} {
  let url: URL
  try {
    url = new URL(options.url)
  } catch {
    throw new TypeError('createNotifier: url is not a URL; give the http(s) endpoint of your backend.')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TypeError('createNotifier: url must be http(s).')
  if (!options.secret)
    throw new TypeError('createNotifier: secret is required: receivers need it to check the signature.')
  // Messages name the endpoint without its credentials or query: they end up in logs.
  const where = redactUrl(url)
  const send = options.fetch ?? fetch
  const timeoutMs = options.timeoutMs ?? 10_000

  const notify = (type: PayNotification['type']) => async (order: Order, context: FulfillmentContext) => {
    const body = JSON.stringify({ id: context.eventId, type, order } satisfies PayNotification)
    let response: Response
    try {
      response = await send(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'tma-pay',
          [NOTIFY_SIGNATURE_HEADER]: signNotifyBody(body, options.secret),
        },
        body,
        // A redirected POST turns into a GET without the body in fetch; a receiver must be addressed directly.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (error) {
      const reason =
        error instanceof Error && error.name === 'TimeoutError'
          ? `no answer in ${timeoutMs} ms`
          : String((error as { cause?: unknown })?.cause ?? error)
      throw new Error(`${type} notification to ${where} failed: ${reason}`)
    }
    const text = await response.text().catch(() => '')
    if (response.status < 200 || response.status > 299) {
      throw new Error(`${type} notification to ${where} answered ${response.status}: ${text.slice(0, 200)}`)
    }
  }

  return { onPaid: notify('order.paid'), onRefunded: notify('order.refunded') }
}
