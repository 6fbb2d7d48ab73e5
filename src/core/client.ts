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
  return globalThis.crypto.randomUUID()
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        reject(signal.reason)
      },
      { once: true },
    )
  })

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

  async function once<T>(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<T> {
    const doFetch = options.fetch ?? globalThis.fetch
    const initData = typeof options.initData === 'function' ? options.initData() : options.initData
    const requestHeaders: Record<string, string> = { accept: 'application/json', ...headers }
    if (initData) requestHeaders.authorization = `tma ${initData}`
    if (body !== undefined) requestHeaders['content-type'] = 'application/json'
    const timeout = AbortSignal.timeout(timeoutMs)
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout
    let response: Response
    try {
      response = await doFetch(`${baseUrl}${path}`, {
        method,
        headers: requestHeaders,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: combined,
      })
    } catch (cause) {
      if (signal?.aborted) throw cause
      if (timeout.aborted)
        throw new PayError(
          'timeout',
          `The pay server did not answer ${method} ${path} within ${timeoutMs} ms.`,
          { cause },
        )
      throw new PayError(
        'network_error',
        `Could not reach the pay server at ${baseUrl}: check the network and baseUrl.`,
        { cause },
      )
    }
    let parsed: unknown = null
    const text = await response.text()
    if (text) {
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = null
      }
    }
    if (!response.ok) throw payErrorFromBody(response.status, parsed)
    return parsed as T
  }

  async function request<T>(
    method: string,
    path: string,
    init: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal; retry?: boolean } = {},
  ): Promise<T> {
    const attempts = init.retry ? Math.max(1, retries) : 1
    for (let attempt = 1; ; attempt++) {
      try {
        return await once<T>(method, path, init.body, init.headers ?? {}, init.signal)
      } catch (error) {
        const retryable = error instanceof PayError && error.retryable && error.code !== 'rate_limited'
        if (!retryable || attempt >= attempts) throw error
        await sleep(retryDelayMs * 2 ** (attempt - 1), init.signal)
      }
    }
  }

  const id = (orderId: string) => encodeURIComponent(orderId)

  return {
    baseUrl,
    async listProducts(opts) {
      const page = await request<{ data: Product[] }>('GET', '/products', {
        signal: opts?.signal,
        retry: true,
      })
      return page.data
    },
    createOrder(input, opts) {
      return request<Order>('POST', '/orders', {
        body: input,
        headers: { 'idempotency-key': opts?.idempotencyKey ?? newIdempotencyKey() },
        signal: opts?.signal,
        // The idempotency key makes a repeat return the same order, so a lost response is safe to retry.
        retry: true,
      })
    },
    getOrder(orderId, opts) {
      return request<Order>('GET', `/orders/${id(orderId)}`, { signal: opts?.signal, retry: true })
    },
    listOrders(params = {}, opts) {
      return request<Page<Order>>('GET', `/orders${toQuery(params)}`, { signal: opts?.signal, retry: true })
    },
    getTimeline(orderId, opts) {
      return request<OrderTimeline>('GET', `/orders/${id(orderId)}/timeline`, {
        signal: opts?.signal,
        retry: true,
      })
    },
    reportClientStatus(orderId, status, opts) {
      return request<Order>('POST', `/orders/${id(orderId)}/client-status`, {
        body: { status },
        signal: opts?.signal,
        retry: true,
      })
    },
  }
}
