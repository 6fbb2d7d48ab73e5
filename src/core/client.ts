import { PayError, payErrorFromBody } from './errors'
import type {
  ClientInvoiceStatus,
  CreateOrderInput,
  Entitlement,
  ListOrdersParams,
  Order,
  OrderTimeline,
  Page,
  Product,
  Subscription,
} from './order'
import { sleep } from './sleep'
import { isSettled } from './status'

export interface PayClientOptions {
  /** Where the pay server is mounted, e.g. `/api/pay` or `https://shop.example/api/pay`. */
  baseUrl: string
  /**
   * The Mini App's raw init data (`initDataRaw`), sent as `Authorization: tma <raw>`. A function is
   * read on every request, so init data restored later is picked up. Default: none (public routes only).
   */
  initData?: string | (() => string | undefined)
  /** The fetch to use (tests, SSR). Default: `globalThis.fetch`. */
  fetch?: typeof fetch
  /** Attempts for requests that are safe to repeat (GETs, and creation with its idempotency key). Default 3. */
  retries?: number
  /** First retry delay in ms, doubled on each retry. Default 300. */
  retryDelayMs?: number
  /** Per-request timeout in ms; a live order stream with no byte (not even a heartbeat) for twice this is reopened. Default 15000. */
  timeoutMs?: number
  /**
   * Follows orders over the server's live stream (`GET /orders/:id/stream`) while watching them: pass
   * `liveOrderStream` from `tma-pay`. A separate import, so an app that polls does not ship it. Default: none
   * (`watchOrder` polls with backoff).
   */
  orderStream?: OrderStreamReader
}

/**
 * Reads an order's live stream until the order settles, reopening it when it breaks; resolves with the settled
 * order, or undefined when no stream can be had (then `watchOrder` polls). `open` opens the stream after the
 * last event seen; `show` shows an order and says whether it is settled.
 */
export type OrderStreamReader = (
  open: (lastEventId: string, stalled: AbortSignal) => Promise<Response>,
  show: (order: Order) => boolean,
  options: { signal?: AbortSignal; retries: number; retryDelayMs: number; stallMs: number },
) => Promise<Order | undefined>

export interface CreateOrderOptions {
  /** Makes the creation safe to repeat: the same key returns the same order. Default: a new random key. */
  idempotencyKey?: string
  signal?: AbortSignal
}

export interface RequestOptions {
  signal?: AbortSignal
}

export interface WatchOrderOptions extends RequestOptions {
  /** Use the live stream, if the client has a reader for it (`orderStream`); false polls from the start. Default true. */
  live?: boolean
  /** First delay between polls, in ms; it grows by half on each poll up to `pollMaxMs`. Default 1000. */
  pollInitialMs?: number
  /** Longest delay between polls, in ms. Default 5000. */
  pollMaxMs?: number
}

/** The HTTP API of the pay server as typed calls. Every failure is a `PayError`. */
export interface PayClient {
  readonly baseUrl: string
  listProducts(options?: RequestOptions): Promise<Product[]>
  createOrder(input: CreateOrderInput, options?: CreateOrderOptions): Promise<Order>
  getOrder(orderId: string, options?: RequestOptions): Promise<Order>
  listOrders(params?: ListOrdersParams, options?: RequestOptions): Promise<Page<Order>>
  getTimeline(orderId: string, options?: RequestOptions): Promise<OrderTimeline>
  /** Records what `invoice_closed` said. A hint only: the server decides what the order is. */
  reportClientStatus(orderId: string, status: ClientInvoiceStatus, options?: RequestOptions): Promise<Order>
  /** What the user owns (`GET /entitlements`): non-consumables, passes and subscriptions, ended ones inactive. */
  listEntitlements(options?: RequestOptions): Promise<Entitlement[]>
  /** The user's paid subscriptions (`GET /subscriptions`), newest first. */
  listSubscriptions(options?: RequestOptions): Promise<Subscription[]>
  /** Turns a subscription's renewals off (`true`) or back on (`POST /orders/:id/subscription`); the updated order. */
  setSubscriptionCanceled(orderId: string, canceled: boolean, options?: RequestOptions): Promise<Order>
  /**
   * Watches an order until it settles and resolves with it. With `orderStream: liveOrderStream`, over the live
   * stream (`GET /orders/:id/stream`): `onOrder` gets the order now and on every change, once each and in
   * order, across reconnects (`Last-Event-ID`). Without one, or when no stream can be had (refused, `retries`
   * broken connections, no byte for twice `timeoutMs`), it polls `GET /orders/:id` with backoff. Rejects on
   * a 4xx (the order is not the user's, or gone) or an abort.
   */
  watchOrder(orderId: string, onOrder: (order: Order) => void, options?: WatchOrderOptions): Promise<Order>
}

/** A fresh idempotency key for one payment attempt. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID()
}

// `/orders` with its query. startingAfter → starting_after, and so on: the server's query names are the
// params in snake case.
function ordersPath(params: ListOrdersParams): string {
  const query = new URLSearchParams()
  for (const [name, value] of Object.entries(params))
    if (value !== undefined) query.set(name.replace(/[A-Z]/g, '_$&').toLowerCase(), value)
  return `/orders?${query}`
}

/** Creates the typed client of the pay server's HTTP API. */
export function createPayClient(options: PayClientOptions): PayClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '')
  const { retries = 3, retryDelayMs = 300, timeoutMs = 15_000 } = options

  // Every request carries the init data as it is now (restored meanwhile, it is picked up) and ends by
  // the caller's signal or the deadline, whichever comes first. A body makes it a POST.
  const send = (
    path: string,
    deadline: AbortSignal,
    signal?: AbortSignal,
    headers?: Record<string, string>,
    body?: object,
  ) => {
    const initData = typeof options.initData === 'function' ? options.initData() : options.initData
    return (options.fetch ?? fetch)(baseUrl + path, {
      method: body && 'POST',
      headers: {
        ...headers,
        ...(initData && { authorization: `tma ${initData}` }),
        ...(body && { 'content-type': 'application/json' }),
      },
      body: body && JSON.stringify(body),
      signal: AbortSignal.any([signal ?? deadline, deadline]),
    })
  }

  // Every call is safe to repeat (GETs, status hints, and creation with its idempotency key), so network
  // trouble and 5xx answers are retried with backoff. A rate-limited answer is not: retrying only prolongs it.
  async function request<T>(
    path: string,
    { signal }: RequestOptions = {},
    body?: object,
    headers?: Record<string, string>,
  ): Promise<T> {
    for (let attempt = 0; ; ) {
      const deadline = AbortSignal.timeout(timeoutMs)
      try {
        // The body is read in the same chain: a connection cut mid-body is network trouble too, and retried.
        const [response, text] = await send(path, deadline, signal, headers, body)
          .then(async (answer) => [answer, await answer.text()] as const)
          .catch((cause) => {
            if (signal?.aborted) throw cause
            const timedOut = deadline.aborted
            throw new PayError(
              timedOut ? 'timeout' : 'network_error',
              `${timedOut ? 'No answer from' : 'Could not reach'} the pay server at ${baseUrl}: check the network and baseUrl.`,
              { cause },
            )
          })
        let parsed: unknown = null
        try {
          // An empty or non-JSON body throws here and reads as null.
          parsed = JSON.parse(text)
        } catch {}
        if (!response.ok) throw payErrorFromBody(response.status, parsed)
        return parsed as T
      } catch (error) {
        // Only PayErrors are retryable; anything else reads `undefined` here.
        if (
          !(error as PayError).retryable ||
          (error as PayError).code === 'rate_limited' ||
          ++attempt >= retries
        )
          throw error
        await sleep(retryDelayMs * 2 ** (attempt - 1), signal)
      }
    }
  }

  const orderPath = (orderId: string, rest = '') => `/orders/${encodeURIComponent(orderId)}${rest}`

  return {
    baseUrl,
    listProducts: async (opts) => (await request<{ data: Product[] }>('/products', opts)).data,
    createOrder: (input, opts) =>
      request('/orders', opts, input, { 'idempotency-key': opts?.idempotencyKey ?? newIdempotencyKey() }),
    getOrder: (orderId, opts) => request(orderPath(orderId), opts),
    listOrders: (params = {}, opts) => request(ordersPath(params), opts),
    getTimeline: (orderId, opts) => request(orderPath(orderId, '/timeline'), opts),
    reportClientStatus: (orderId, status, opts) =>
      request(orderPath(orderId, '/client-status'), opts, { status }),
    listEntitlements: async (opts) => (await request<{ data: Entitlement[] }>('/entitlements', opts)).data,
    listSubscriptions: async (opts) => (await request<{ data: Subscription[] }>('/subscriptions', opts)).data,
    setSubscriptionCanceled: (orderId, canceled, opts) =>
      request(orderPath(orderId, '/subscription'), opts, { canceled }),
    async watchOrder(orderId, onOrder, { signal, live = true, pollInitialMs = 1000, pollMaxMs = 5000 } = {}) {
      // Shows an order; true once it is settled.
      const show = (order: Order) => {
        onOrder(order)
        return isSettled(order.status)
      }
      // The live stream, when the app brought a reader for it (`orderStream: liveOrderStream`).
      const streamed =
        live &&
        (await options.orderStream?.(
          (lastEventId, stalled) =>
            send(
              orderPath(orderId, '/stream'),
              stalled,
              signal,
              lastEventId ? { 'last-event-id': lastEventId } : {},
            ),
          show,
          { signal, retries, retryDelayMs, stallMs: 2 * timeoutMs },
        ))
      if (streamed) return streamed
      // No stream to be had: poll with backoff. Network trouble means asking again later; a 4xx ends it.
      for (let delay = pollInitialMs; ; delay = Math.min(pollMaxMs, delay * 1.5)) {
        await sleep(delay, signal)
        try {
          const order = await request<Order>(orderPath(orderId), { signal })
          if (show(order)) return order
        } catch (error) {
          signal?.throwIfAborted()
          if (!(error as PayError).retryable) throw error
        }
      }
    },
  }
}
