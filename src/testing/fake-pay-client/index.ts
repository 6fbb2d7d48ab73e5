// A pay client and a Telegram bridge that play scripted outcomes in memory: no pay server, no Telegram.
// For users' component tests and Storybook. Browser-safe: nothing from Node, ids from globalThis.crypto.
// The orders follow the server's own rules (src/core), in the fake's order book.
import type {
  CreateOrderOptions,
  InvoiceOutcome,
  Order,
  OrderTimeline,
  PayClient,
  Product,
  RequestOptions,
  TelegramBridge,
  TimelineSource,
} from '../../core'
import { PayError } from '../../core/errors'
import { CLIENT_STATUS_EVENTS } from '../../core/order-rules'
import { sleep } from '../../core/sleep'
import { isSettled } from '../../core/status'
import type { OrderEventKind } from '../../core/transitions'
import { createOrderBook } from './order-book'
import { fakeProducts } from './products'
import { endingOf, endings, type FakeInvoiceClose, type FakeScenario } from './scenarios'

export type { FakeInvoiceClose, FakeScenario } from './scenarios'

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
  /**
   * Products the user owns from the start, as if granted: a non-consumable owned for good, a pass running for its
   * `durationSeconds` from the fake's creation. For stories and tests of the owned and extend states. Default: none.
   */
  owned?: readonly string[]
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

const withoutSignal = (options?: { signal?: AbortSignal }) => {
  if (!options) return []
  const { signal: _signal, ...rest } = options
  return Object.keys(rest).length ? [rest] : []
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
  const failFirst = options.failFirst ?? Number.POSITIVE_INFINITY
  const delay = () => options.delayMs ?? (scenario === 'slow' ? 1500 : 150)
  const products: readonly Product[] = options.products ?? fakeProducts
  const book = createOrderBook({
    products,
    userId: options.userId ?? 1000,
    orderTtlMs: options.orderTtlMs ?? 3_600_000,
    ...(options.owned ? { owned: options.owned } : {}),
  })

  const calls: FakeCall[] = []
  const opened: string[] = []
  const haptics: ('success' | 'error')[] = []
  let networkFailures = 0
  let open: OpenInvoice | undefined

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

  // Plays the end of an invoice: Telegram's side on the order, then what the client reports.
  function end(orderId: string, outcome: FakeInvoiceClose): InvoiceOutcome {
    const ending = endings[outcome]
    for (const event of ending.events) book.apply(orderId, event)
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
      const orderId = slug && book.orderOfSlug(slug)
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
      return book.orders
    },
    calls,
    apply: (orderId: string, event: OrderEventKind, source?: TimelineSource): Order =>
      book.apply(orderId, event, source),
    reset() {
      if (open) clearTimeout(open.timer)
      open = undefined
      book.clear()
      calls.length = 0
      opened.length = 0
      haptics.length = 0
      networkFailures = 0
    },
    listProducts: (opts?: RequestOptions) =>
      call('listProducts', withoutSignal(opts), opts?.signal, () =>
        products.filter((product) => product.active !== false).map((product) => structuredClone(product)),
      ),
    async createOrder(input, opts?: CreateOrderOptions) {
      const idempotencyKey = opts?.idempotencyKey ?? globalThis.crypto.randomUUID()
      return call('createOrder', [input, ...withoutSignal(opts)], opts?.signal, () => {
        if (scenario === 'network-error' && networkFailures < failFirst) {
          networkFailures++
          throw new PayError(
            'network_error',
            'Could not reach the pay server at fake://tma-pay: check the network and baseUrl.',
          )
        }
        return book.create(input, idempotencyKey)
      })
    },
    getOrder: (orderId, opts) =>
      call('getOrder', [orderId, ...withoutSignal(opts)], opts?.signal, () => book.read(orderId)),
    listOrders: (params = {}, opts) =>
      call('listOrders', [params, ...withoutSignal(opts)], opts?.signal, () => book.list(params)),
    getTimeline: (orderId, opts) =>
      call(
        'getTimeline',
        [orderId, ...withoutSignal(opts)],
        opts?.signal,
        (): OrderTimeline => ({ orderId, events: book.timeline(orderId) }),
      ),
    reportClientStatus: (orderId, status, opts) =>
      call('reportClientStatus', [orderId, status, ...withoutSignal(opts)], opts?.signal, () => {
        const order = book.read(orderId)
        const event = CLIENT_STATUS_EVENTS[status]
        return event ? book.apply(orderId, event, 'client', { invoiceStatus: status }) : order
      }),
    listEntitlements: (opts) =>
      call('listEntitlements', withoutSignal(opts), opts?.signal, () => book.entitlements()),
    listSubscriptions: (opts) =>
      call('listSubscriptions', withoutSignal(opts), opts?.signal, () => book.subscriptions()),
    setSubscriptionCanceled: (orderId, canceled, opts) =>
      call('setSubscriptionCanceled', [orderId, canceled, ...withoutSignal(opts)], opts?.signal, () =>
        book.setSubscriptionCanceled(orderId, canceled),
      ),
    // The live stream, played by watching the fake's own state: every change once, until settled.
    watchOrder: (orderId, onOrder, opts) =>
      call('watchOrder', [orderId], opts?.signal, async () => {
        let seen = -1
        for (;;) {
          const entry = book.find(orderId)
          if (entry.events.length !== seen) {
            seen = entry.events.length
            onOrder(structuredClone(entry.order))
          }
          if (isSettled(entry.order.status)) return structuredClone(entry.order)
          await sleep(25, opts?.signal)
        }
      }),
  }
}
