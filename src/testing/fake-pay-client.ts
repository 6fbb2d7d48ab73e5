// A pay client and a Telegram bridge that play scripted outcomes in memory: no pay server, no Telegram.
// For users' component tests and Storybook. Browser-safe: nothing from Node, ids from globalThis.crypto.
import type { CreateOrderOptions, PayClient, RequestOptions } from '../core/client'
import { PayError, type PayErrorCode } from '../core/errors'
import type {
  ClientInvoiceStatus,
  CreateOrderInput,
  ListOrdersParams,
  Order,
  OrderEvent,
  OrderTimeline,
  Page,
  Product,
  Subscription,
  TimelineSource,
} from '../core/order'
import { sleep } from '../core/sleep'
import { isSettled } from '../core/status'
import type { InvoiceOutcome, TelegramBridge } from '../core/telegram-bridge'
import { nextStatus, type OrderEventKind } from '../core/transitions'
import { newOrderId } from '../server/ids'
import { fakeProducts } from './fake-products'

/** An error as the real client reports an HTTP answer: with the status the pay server would send. */
const httpError = (
  status: number,
  code: PayErrorCode,
  message: string,
  options: { details?: unknown } = {},
) => new PayError(code, message, { ...options, status })

/**
 * What happens to every payment:
 * - `paid`: the user pays; Telegram reports `paid`.
 * - `cancelled`: the user closes the invoice; the order ends `cancelled`.
 * - `failed`: the server refuses pre-checkout; the order ends `failed`.
 * - `slow`: `paid`, with every call and the invoice taking `delayMs` (default 1500).
 * - `network-error`: `createOrder` rejects with `PayError('network_error')` (the first `failFirst` times), then `paid`.
 * - `closed-mid-payment`: the invoice never reports back (the app closed); the order stays `pending` until
 *   `fake.telegram.closeInvoice()` or the checkout's invoice timeout.
 * - `cancelled-but-paid`: the user pays but Telegram reports `cancelled` (the macOS bug); the order ends `paid`.
 * - `expired`: the order expires before payment; the client reports `failed`.
 */
export type FakeScenario =
  | 'paid'
  | 'cancelled'
  | 'failed'
  | 'slow'
  | 'network-error'
  | 'closed-mid-payment'
  | 'cancelled-but-paid'
  | 'expired'

/** How an open invoice ends when closed by hand (`fake.telegram.closeInvoice`). */
export type FakeInvoiceClose = 'paid' | 'cancelled' | 'failed' | 'cancelled-but-paid' | 'expired'

export interface FakePayClientOptions {
  /** The scripted outcome of every payment (see `FakeScenario`). Default 'paid'. */
  scenario?: FakeScenario
  /** The catalog `listProducts` returns and orders are made from. Default: the demo shop's four products. */
  products?: readonly Product[]
  /** Delay of every client call and of the user at the invoice, in ms, so loading states show. Default 1500 for 'slow', else 150. */
  delayMs?: number
  /** For 'network-error': how many `createOrder` calls fail before one gets through. Default: every one. */
  failFirst?: number
  /** The Telegram user id orders belong to. Default 1000. */
  userId?: number
  /** How long an unpaid order stays payable, in ms. Default 3600000 (an hour, as the server). */
  orderTtlMs?: number
}

/** One call made to the fake client: the method and its arguments (an `AbortSignal` left out). */
export interface FakeCall {
  method: Exclude<keyof PayClient, 'baseUrl'>
  args: unknown[]
}

/** The Telegram half of the fake: opens invoices of the fake's orders and records haptics. */
export interface FakeTelegramBridge extends TelegramBridge {
  /** Invoice URLs opened, oldest first. */
  readonly opened: readonly string[]
  /** Haptic notifications, oldest first. */
  readonly haptics: readonly ('success' | 'error')[]
  /** True while an invoice is open (e.g. under 'closed-mid-payment'). */
  readonly isOpen: boolean
  /** Closes the open invoice as the user would; returns false when none is open. Default outcome 'cancelled'. */
  closeInvoice(outcome?: FakeInvoiceClose): Promise<boolean>
}

export interface FakePayClient extends PayClient {
  readonly scenario: FakeScenario
  /** Changes what the next payments do, e.g. to 'paid' before resuming a 'closed-mid-payment' one. */
  setScenario(scenario: FakeScenario): void
  /** Pass to `createCheckout({ client: fake, telegram: fake.telegram })`. */
  readonly telegram: FakeTelegramBridge
  /** Every order as the fake server holds it now, oldest first (copies). */
  readonly orders: readonly Order[]
  /** Every client call, oldest first. */
  readonly calls: readonly FakeCall[]
  /**
   * Applies an event to an order through the status machine, as Telegram or the server would (e.g. a
   * `payment_succeeded` that lands later). An event that does not apply leaves the order as it is.
   */
  apply(orderId: string, event: OrderEventKind, source?: TimelineSource): Order
  /** Forgets every order and call, and closes an open invoice silently. */
  reset(): void
}

// What `invoice_closed` says for each client status, as the server maps it (a client's "paid" is never believed).
const clientEvents: Record<ClientInvoiceStatus, OrderEventKind | undefined> = {
  pending: 'client_opened',
  cancelled: 'client_cancelled',
  failed: 'client_failed',
  paid: undefined,
}

// What Telegram does on the server's side for each ending, and what the client then reports.
const endings: Record<FakeInvoiceClose, { events: OrderEventKind[]; report: InvoiceOutcome }> = {
  paid: { events: ['precheckout_approved', 'payment_succeeded'], report: 'paid' },
  cancelled: { events: [], report: 'cancelled' },
  failed: { events: ['precheckout_refused'], report: 'failed' },
  'cancelled-but-paid': { events: ['precheckout_approved', 'payment_succeeded'], report: 'cancelled' },
  expired: { events: ['expired'], report: 'failed' },
}

const endingOf: Record<FakeScenario, FakeInvoiceClose | undefined> = {
  paid: 'paid',
  slow: 'paid',
  'network-error': 'paid',
  cancelled: 'cancelled',
  failed: 'failed',
  'cancelled-but-paid': 'cancelled-but-paid',
  expired: 'expired',
  'closed-mid-payment': undefined,
}

const telegramEvents: ReadonlySet<OrderEventKind> = new Set([
  'precheckout_approved',
  'precheckout_refused',
  'payment_succeeded',
  'refunded',
])

const withoutSignal = (options?: { signal?: AbortSignal }) => {
  if (!options) return []
  const { signal: _signal, ...rest } = options
  return Object.keys(rest).length ? [rest] : []
}

const copy = <T>(value: T): T => structuredClone(value)

interface StoredOrder {
  order: Order
  events: OrderEvent[]
  idempotencyKey?: string
  request: string
}

interface OpenInvoice {
  orderId: string
  resolve(outcome: InvoiceOutcome): void
  timer: ReturnType<typeof setTimeout>
}

/**
 * A `PayClient` that needs no server, with a matching Telegram bridge (`fake.telegram`), so
 * `createCheckout({ client: fake, telegram: fake.telegram })` plays a whole scripted payment. Orders move
 * through the real status machine and can be inspected (`fake.orders`, `fake.calls`).
 */
export function createFakePayClient(
  scenarioOrOptions: FakeScenario | FakePayClientOptions = {},
): FakePayClient {
  const options: FakePayClientOptions =
    typeof scenarioOrOptions === 'string' ? { scenario: scenarioOrOptions } : scenarioOrOptions
  let scenario: FakeScenario = options.scenario ?? 'paid'
  const products = options.products ?? fakeProducts
  const userId = options.userId ?? 1000
  const orderTtlMs = options.orderTtlMs ?? 3_600_000
  const failFirst = options.failFirst ?? Number.POSITIVE_INFINITY
  const delay = () => options.delayMs ?? (scenario === 'slow' ? 1500 : 150)

  const stored = new Map<string, StoredOrder>()
  const bySlug = new Map<string, string>()
  const calls: FakeCall[] = []
  const opened: string[] = []
  const haptics: ('success' | 'error')[] = []
  let networkFailures = 0
  let open: OpenInvoice | undefined

  function find(orderId: string): StoredOrder {
    const entry = stored.get(orderId)
    if (!entry) throw httpError(404, 'not_found', `No order ${orderId}.`)
    return entry
  }

  function record(entry: StoredOrder, source: TimelineSource, detail: Record<string, unknown>) {
    const at = new Date().toISOString()
    entry.order.updatedAt = at
    entry.events.push({ at, status: entry.order.status, source, detail })
  }

  function apply(
    orderId: string,
    event: OrderEventKind,
    source?: TimelineSource,
    detail: Record<string, unknown> = { event },
  ): Order {
    const entry = find(orderId)
    const next = nextStatus(entry.order.status, event)
    if (next === undefined) return copy(entry.order)
    const { order } = entry
    const now = new Date().toISOString()
    order.status = next
    if (event === 'payment_succeeded') {
      order.paidAt = now
      order.telegramPaymentChargeId ??= `stxFake${globalThis.crypto.randomUUID().replaceAll('-', '')}`
      // A subscription runs one period from its first payment (renewals are the simulator's to play).
      if (order.subscription)
        order.subscription.expiresAt = new Date(Date.now() + order.subscription.period * 1000).toISOString()
    }
    if (event === 'refunded') order.refundedAt = now
    if (event === 'expired' && order.expiresAt > now) order.expiresAt = now
    record(entry, source ?? (telegramEvents.has(event) ? 'telegram' : 'server'), detail)
    return copy(order)
  }

  // As the server does on every read: an unpaid order past its time is expired.
  function read(orderId: string): Order {
    const { order } = find(orderId)
    const due = Date.parse(order.expiresAt) <= Date.now()
    return due ? apply(orderId, 'expired', 'server', { expiresAt: order.expiresAt }) : copy(order)
  }

  async function call<T>(
    method: FakeCall['method'],
    args: unknown[],
    signal: AbortSignal | undefined,
    work: () => T | Promise<T>,
  ): Promise<T> {
    calls.push({ method, args })
    await sleep(delay(), signal)
    return work()
  }

  function createOrder(input: CreateOrderInput, idempotencyKey: string): Order {
    const request = JSON.stringify([input.productId, input.quantity ?? 1, input.metadata ?? {}])
    const repeat = [...stored.values()].find((entry) => entry.idempotencyKey === idempotencyKey)
    if (repeat) {
      if (repeat.request !== request)
        throw httpError(
          409,
          'idempotency_conflict',
          'This Idempotency-Key was used with another request body; use a new key for a new order.',
        )
      return copy(repeat.order)
    }
    const product = products.find((candidate) => candidate.id === input.productId)
    if (!product) throw httpError(404, 'product_not_found', `No product "${input.productId}" in the catalog.`)
    if (product.active === false)
      throw httpError(409, 'product_unavailable', `Product "${product.id}" is not for sale now.`)
    const quantity = input.quantity ?? 1
    const maxQuantity = product.maxQuantity ?? 1
    if (!Number.isSafeInteger(quantity) || quantity < 1 || quantity > maxQuantity)
      throw httpError(
        400,
        'validation_failed',
        `quantity must be at most ${maxQuantity} for "${product.id}".`,
        {
          details: { field: 'quantity' },
        },
      )
    const now = new Date()
    const slug = `fake-${globalThis.crypto.randomUUID()}`
    const order: Order = {
      id: newOrderId(),
      userId,
      productId: product.id,
      title: product.title,
      description: product.description,
      quantity,
      amount: product.amount * quantity,
      currency: product.currency ?? 'XTR',
      status: 'created',
      invoiceUrl: `https://t.me/$${slug}`,
      metadata: { ...input.metadata },
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + orderTtlMs).toISOString(),
    }
    if (product.photoUrl) order.photoUrl = product.photoUrl
    if (product.subscriptionPeriod) order.subscription = { period: product.subscriptionPeriod }
    const entry: StoredOrder = { order, events: [], idempotencyKey, request }
    stored.set(order.id, entry)
    bySlug.set(slug, order.id)
    record(entry, 'server', { invoiceUrl: order.invoiceUrl })
    return copy(order)
  }

  function listOrders(params: ListOrdersParams): Page<Order> {
    const limit = params.limit ?? 20
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 100)
      throw httpError(400, 'validation_failed', 'limit must be an integer from 1 to 100.', {
        details: { field: 'limit' },
      })
    const matching = [...stored.values()]
      .map((entry) => entry.order)
      .filter((order) => !params.status || order.status === params.status)
      .filter((order) => !params.createdGte || order.createdAt >= new Date(params.createdGte).toISOString())
      .filter((order) => !params.createdLte || order.createdAt <= new Date(params.createdLte).toISOString())
      .sort((a, b) => (a.id < b.id ? 1 : -1))
    const start = params.startingAfter ? matching.findIndex((order) => order.id < params.startingAfter!) : 0
    const rest = start < 0 ? [] : matching.slice(start)
    return { data: rest.slice(0, limit).map(copy), hasMore: rest.length > limit, totalCount: matching.length }
  }

  // As GET /subscriptions: paid subscription orders (refunded ones inactive), newest first.
  function listSubscriptions(): Subscription[] {
    return listOrders({ limit: 100 })
      .data.filter((order) => order.subscription && (order.status === 'paid' || order.status === 'refunded'))
      .map(({ id, productId, status, subscription }) => ({
        orderId: id,
        productId,
        period: subscription!.period,
        active: status === 'paid' && Date.parse(subscription!.expiresAt ?? '') > Date.now(),
        ...(subscription!.expiresAt && { expiresAt: subscription!.expiresAt }),
        canceled: !!subscription!.canceled,
      }))
  }

  function setSubscriptionCanceled(orderId: string, canceled: boolean): Order {
    const entry = find(orderId)
    const { order } = entry
    if (order.status !== 'paid' || !order.subscription)
      throw httpError(409, 'invalid_state', `Order ${orderId} is not a paid subscription.`, {
        details: { status: order.status },
      })
    if (!!order.subscription.canceled !== canceled) {
      order.subscription.canceled = canceled
      record(entry, 'client', { subscription: canceled ? 'canceled' : 'reenabled' })
    }
    return copy(order)
  }

  // Plays the end of an invoice: Telegram's side on the order, then what the client reports.
  function end(orderId: string, outcome: FakeInvoiceClose): InvoiceOutcome {
    const ending = endings[outcome]
    for (const event of ending.events) apply(orderId, event)
    return ending.report
  }

  function closeOpen(outcome: InvoiceOutcome) {
    if (!open) return
    clearTimeout(open.timer)
    open.resolve(outcome)
    open = undefined
  }

  const telegram: FakeTelegramBridge = {
    opened,
    haptics,
    get isOpen() {
      return open !== undefined
    },
    async openInvoice(invoiceUrl, { timeoutMs }) {
      opened.push(invoiceUrl)
      const slug = /^https:\/\/t\.me\/\$([A-Za-z0-9\-_=]+)$/.exec(invoiceUrl)?.[1]
      const orderId = slug && bySlug.get(slug)
      if (!orderId)
        throw new PayError(
          'invoice_unavailable',
          `Telegram did not open the invoice: no invoice ${invoiceUrl}.`,
        )
      // A new open replaces one still open: the app that opened it was closed or reloaded.
      closeOpen('unknown')
      const ending = endingOf[scenario]
      if (!ending) {
        // The invoice stays open; like @tma.js/sdk, give up after the timeout and let the server decide.
        return new Promise<InvoiceOutcome>((resolve) => {
          open = { orderId, resolve, timer: setTimeout(() => closeOpen('unknown'), timeoutMs) }
        })
      }
      await sleep(delay())
      return end(orderId, ending)
    },
    async closeInvoice(outcome = 'cancelled') {
      if (!open) return false
      closeOpen(end(open.orderId, outcome))
      return true
    },
    notify(type) {
      haptics.push(type)
    },
  }

  return {
    baseUrl: 'fake://tma-pay',
    get scenario() {
      return scenario
    },
    setScenario(next) {
      scenario = next
    },
    telegram,
    get orders() {
      return [...stored.values()].map((entry) => copy(entry.order))
    },
    calls,
    apply,
    reset() {
      if (open) clearTimeout(open.timer)
      open = undefined
      stored.clear()
      bySlug.clear()
      calls.length = 0
      opened.length = 0
      haptics.length = 0
      networkFailures = 0
    },
    listProducts: (opts?: RequestOptions) =>
      call('listProducts', withoutSignal(opts), opts?.signal, () =>
        products.filter((product) => product.active !== false).map(copy),
      ),
    async createOrder(input: CreateOrderInput, opts?: CreateOrderOptions) {
      const idempotencyKey = opts?.idempotencyKey ?? globalThis.crypto.randomUUID()
      return call('createOrder', [input, ...withoutSignal(opts)], opts?.signal, () => {
        if (scenario === 'network-error' && networkFailures < failFirst) {
          networkFailures++
          throw new PayError(
            'network_error',
            'Could not reach the pay server at fake://tma-pay: check the network and baseUrl.',
          )
        }
        return createOrder(input, idempotencyKey)
      })
    },
    getOrder: (orderId, opts) =>
      call('getOrder', [orderId, ...withoutSignal(opts)], opts?.signal, () => read(orderId)),
    listOrders: (params = {}, opts) =>
      call('listOrders', [params, ...withoutSignal(opts)], opts?.signal, () => listOrders(params)),
    getTimeline: (orderId, opts) =>
      call(
        'getTimeline',
        [orderId, ...withoutSignal(opts)],
        opts?.signal,
        (): OrderTimeline => ({
          orderId,
          events: copy(find(orderId).events),
        }),
      ),
    reportClientStatus: (orderId, status, opts) =>
      call('reportClientStatus', [orderId, status, ...withoutSignal(opts)], opts?.signal, () => {
        const order = read(orderId)
        const event = clientEvents[status]
        return event ? apply(orderId, event, 'client', { invoiceStatus: status }) : order
      }),
    listSubscriptions: (opts) =>
      call('listSubscriptions', withoutSignal(opts), opts?.signal, listSubscriptions),
    setSubscriptionCanceled: (orderId, canceled, opts) =>
      call('setSubscriptionCanceled', [orderId, canceled, ...withoutSignal(opts)], opts?.signal, () =>
        setSubscriptionCanceled(orderId, canceled),
      ),
    // The live stream, played by watching the fake's own state: every change once, until settled.
    watchOrder: (orderId, onOrder, opts) =>
      call('watchOrder', [orderId], opts?.signal, async () => {
        let seen = -1
        for (;;) {
          const entry = find(orderId)
          if (entry.events.length !== seen) {
            seen = entry.events.length
            onOrder(copy(entry.order))
          }
          if (isSettled(entry.order.status)) return copy(entry.order)
          await sleep(25, opts?.signal)
        }
      }),
  }
}
