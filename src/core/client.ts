import { PayError, payErrorFromBody } from './errors'
import type {
  ClientInvoiceStatus,
  CreateOrderInput,
  ListOrdersParams,
  Order,
  OrderTimeline,
  Page,
  Product,
} from './order'
import { sleep } from './sleep'

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
  /** Per-request timeout in ms. Default 15000. */
  timeoutMs?: number
}

export interface CreateOrderOptions {
  /** Makes the creation safe to repeat: the same key returns the same order. Default: a new random key. */
  idempotencyKey?: string
  signal?: AbortSignal
}

export interface RequestOptions {
  signal?: AbortSignal
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
}

/** A fresh idempotency key for one payment attempt. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID()
}

function toQuery(params: ListOrdersParams): string {
  const query = new URLSearchParams()
  if (params.status) query.set('status', params.status)
  if (params.limit !== undefined) query.set('limit', String(params.limit))
  if (params.startingAfter) query.set('starting_after', params.startingAfter)
  if (params.createdGte) query.set('created_gte', params.createdGte)
  if (params.createdLte) query.set('created_lte', params.createdLte)
  const text = query.toString()
  return text ? `?${text}` : ''
}

/** Creates the typed client of the pay server's HTTP API. */
export function createPayClient(options: PayClientOptions): PayClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '')
  const retries = options.retries ?? 3
  const retryDelayMs = options.retryDelayMs ?? 300
  const timeoutMs = options.timeoutMs ?? 15_000

  // Every call is safe to repeat (GETs, status hints, and creation with its idempotency key), so network
  // trouble and 5xx answers are retried with backoff. A rate-limited answer is not: retrying only prolongs it.
  async function request<T>(
    method: string,
    path: string,
    { signal }: RequestOptions = {},
    body?: object,
    headers?: Record<string, string>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      // Read on every attempt: init data restored meanwhile is picked up.
      const initData = typeof options.initData === 'function' ? options.initData() : options.initData
      const timeout = AbortSignal.timeout(timeoutMs)
      try {
        const response = await (options.fetch ?? globalThis.fetch)(baseUrl + path, {
          method,
          headers: {
            ...headers,
            ...(initData && { authorization: `tma ${initData}` }),
            ...(body && { 'content-type': 'application/json' }),
          },
          body: body && JSON.stringify(body),
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        }).catch((cause) => {
          if (signal?.aborted) throw cause
          if (timeout.aborted)
            throw new PayError(
              'timeout',
              `No answer from the pay server to ${method} ${path} in ${timeoutMs} ms.`,
              { cause },
            )
          throw new PayError(
            'network_error',
            `Could not reach the pay server at ${baseUrl}: check the network and baseUrl.`,
            { cause },
          )
        })
        const text = await response.text()
        let parsed: unknown = null
        try {
          // An empty or non-JSON body throws here and reads as null.
          parsed = JSON.parse(text)
        } catch {}
        if (!response.ok) throw payErrorFromBody(response.status, parsed)
        return parsed as T
      } catch (error) {
        const retryable = error instanceof PayError && error.retryable && error.code !== 'rate_limited'
        if (!retryable || attempt >= retries) throw error
        await sleep(retryDelayMs * 2 ** (attempt - 1), signal)
      }
    }
  }

  const orderPath = (orderId: string) => `/orders/${encodeURIComponent(orderId)}`

  return {
    baseUrl,
    listProducts: async (opts) => (await request<{ data: Product[] }>('GET', '/products', opts)).data,
    createOrder: (input, opts) =>
      request('POST', '/orders', opts, input, {
        'idempotency-key': opts?.idempotencyKey ?? newIdempotencyKey(),
      }),
    getOrder: (orderId, opts) => request('GET', orderPath(orderId), opts),
    listOrders: (params = {}, opts) => request('GET', `/orders${toQuery(params)}`, opts),
    getTimeline: (orderId, opts) => request('GET', `${orderPath(orderId)}/timeline`, opts),
    reportClientStatus: (orderId, status, opts) =>
      request('POST', `${orderPath(orderId)}/client-status`, opts, { status }),
  }
}
