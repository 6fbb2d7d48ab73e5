// The fake server's orders: made, moved and read with the server's own rules (src/core), in memory.
import type {
  CreateOrderInput,
  Entitlement,
  ListOrdersParams,
  Order,
  OrderEvent,
  Page,
  Product,
  Subscription,
  TimelineSource,
} from '../../core'
import { PayError } from '../../core/errors'
import { httpStatusByCode } from '../../core/http-status'
import { newOrderId } from '../../core/ids'
import { orderErrors } from '../../core/order-errors'
import {
  extendPass,
  kindOf,
  listsAsSubscription,
  maxQuantityOf,
  newOrder,
  subscriptionOf,
} from '../../core/order-rules'
import { isSettled } from '../../core/status'
import { nextStatus, type OrderEventKind } from '../../core/transitions'
import { entitlementsOf } from './entitlements'

/** An error as the real client reports the pay server's answer: with the HTTP status the server sends for its code. */
export const answered = (error: PayError): PayError =>
  new PayError(error.code, error.message, {
    status: httpStatusByCode[error.code],
    ...(error.details === undefined ? {} : { details: error.details }),
  })

const telegramEvents: ReadonlySet<OrderEventKind> = new Set([
  'precheckout_approved',
  'precheckout_refused',
  'payment_succeeded',
  'refunded',
])

const copy = <T>(value: T): T => structuredClone(value)

interface StoredOrder {
  order: Order
  events: OrderEvent[]
  idempotencyKey?: string
  request: string
}

export interface OrderBookOptions {
  products: readonly Product[]
  userId: number
  orderTtlMs: number
  /** Products the user owns from the start (granted, as the shop owner would). */
  owned?: readonly string[]
}

export function createOrderBook({ products, userId, orderTtlMs, owned = [] }: OrderBookOptions) {
  const grantedAt = Date.now()
  // The user's entitlements: what they were granted, then what their orders bought, by the server's rules.
  const entitlements = (): Entitlement[] => {
    const granted = owned.flatMap((productId): Entitlement[] => {
      const product = products.find((candidate) => candidate.id === productId)
      const kind = product && kindOf(product)
      if (kind !== 'non-consumable' && kind !== 'pass') return []
      const pass =
        kind === 'pass' ? extendPass(undefined, product!.durationSeconds ?? 0, grantedAt) : undefined
      return [
        {
          productId,
          kind,
          active: !pass || pass.expiresAt > Date.now(),
          grantedAt: new Date(grantedAt).toISOString(),
          ...(pass ? { expiresAt: new Date(pass.expiresAt).toISOString() } : {}),
        },
      ]
    })
    const bought = entitlementsOf(products, list({ limit: 100 }).data.reverse())
    return [
      ...granted.filter((entry) => !bought.some((other) => other.productId === entry.productId)),
      ...bought,
    ]
  }

  const stored = new Map<string, StoredOrder>()
  const bySlug = new Map<string, string>()

  function find(orderId: string): StoredOrder {
    const entry = stored.get(orderId)
    if (!entry) throw answered(orderErrors.notFound(orderId))
    return entry
  }

  function record(entry: StoredOrder, source: TimelineSource, detail: Record<string, unknown>) {
    const at = new Date().toISOString()
    entry.order.updatedAt = at
    entry.events.push({ at, status: entry.order.status, source, detail })
  }

  /** Applies an event through the status machine; one that does not apply leaves the order as it is. */
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

  function list(params: ListOrdersParams): Page<Order> {
    const limit = params.limit ?? 20
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 100)
      throw answered(
        new PayError('validation_failed', 'limit must be an integer from 1 to 100.', {
          details: { field: 'limit' },
        }),
      )
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

  return {
    find,
    apply,
    /** As the server does on every read: an unpaid order past its time is expired. */
    read(orderId: string): Order {
      const { order } = find(orderId)
      const due = Date.parse(order.expiresAt) <= Date.now()
      return due ? apply(orderId, 'expired', 'server', { expiresAt: order.expiresAt }) : copy(order)
    },

    create(input: CreateOrderInput, idempotencyKey: string): Order {
      const request = JSON.stringify([input.productId, input.quantity ?? 1, input.metadata ?? {}])
      const repeat = [...stored.values()].find((entry) => entry.idempotencyKey === idempotencyKey)
      if (repeat) {
        if (repeat.request !== request) throw answered(orderErrors.idempotencyConflict())
        return copy(repeat.order)
      }
      const product = products.find((candidate) => candidate.id === input.productId)
      if (!product) throw answered(orderErrors.productNotFound(input.productId))
      if (product.active === false) throw answered(orderErrors.productUnavailable(product.id))
      if (kindOf(product) === 'non-consumable') {
        // Bought once, as on the server: an owner is refused, a second try gets the order still open.
        const mine = entitlements().find((entry) => entry.productId === product.id && entry.active)
        if (mine) throw answered(orderErrors.alreadyOwned(product.id, mine.orderId))
        const open = [...stored.values()]
          .map((entry) => entry.order)
          .findLast((order) => order.productId === product.id && !isSettled(order.status))
        if (open) return copy(open)
      }
      const quantity = input.quantity ?? 1
      const maxQuantity = maxQuantityOf(product)
      if (!Number.isSafeInteger(quantity) || quantity < 1 || quantity > maxQuantity)
        throw answered(orderErrors.quantityTooLarge(product.id, maxQuantity))
      const slug = `fake-${globalThis.crypto.randomUUID()}`
      const order = newOrder(product, {
        id: newOrderId(),
        userId,
        quantity,
        metadata: { ...input.metadata },
        invoiceUrl: `https://t.me/$${slug}`,
        ttlMs: orderTtlMs,
      })
      const entry: StoredOrder = { order, events: [], idempotencyKey, request }
      stored.set(order.id, entry)
      bySlug.set(slug, order.id)
      record(entry, 'server', { invoiceUrl: order.invoiceUrl })
      return copy(order)
    },

    list,

    /** As GET /subscriptions: paid subscription orders (refunded ones inactive), newest first. */
    subscriptions(): Subscription[] {
      const now = Date.now()
      return list({ limit: 100 })
        .data.filter(listsAsSubscription)
        .map((order) => subscriptionOf(order, now))
    },

    /** As GET /entitlements: what the fake's user owns, from its paid orders and the products' kinds. */
    entitlements,

    setSubscriptionCanceled(orderId: string, canceled: boolean): Order {
      const entry = find(orderId)
      const { order } = entry
      if (order.status !== 'paid' || !order.subscription)
        throw answered(orderErrors.notASubscription(orderId, order.status))
      if (!!order.subscription.canceled !== canceled) {
        order.subscription.canceled = canceled
        record(entry, 'client', { subscription: canceled ? 'canceled' : 'reenabled' })
      }
      return copy(order)
    },

    timeline: (orderId: string) => copy(find(orderId).events),
    orderOfSlug: (slug: string) => bySlug.get(slug),
    get orders() {
      return [...stored.values()].map((entry) => copy(entry.order))
    },
    clear() {
      stored.clear()
      bySlug.clear()
    },
  }
}

export type OrderBook = ReturnType<typeof createOrderBook>
