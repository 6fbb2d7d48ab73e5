import type { ClientInvoiceStatus, Order, Product } from '../core'
import { PayError } from '../core/errors'
import { newOrderId } from '../core/ids'
import { orderErrors } from '../core/order-errors'
import {
  CLIENT_STATUS_EVENTS,
  EXPIRABLE_STATUSES,
  expiryDeadline,
  kindOf,
  maxInvoiceAmount,
  maxQuantityOf,
  newOrder,
} from '../core/order-rules'
import type { InitDataUser } from './auth'
import { type ProductCatalog, productForSale } from './catalog'
import { reserveIdempotencyKey } from './idempotency'
import type { CreateOrderBody } from './input'
import { IdempotencyKeyTakenOver, type PayStore, type PurchaseTerms } from './store/types'

export interface OrderServiceOptions {
  store: PayStore
  catalog: ProductCatalog
  /** Makes the order's invoice in Telegram and returns its URL: `createInvoiceLink` unless the caller says otherwise. */
  invoiceLink: MakeInvoice
  /** How long an unpaid order stays payable. */
  orderTtlMs: number
  /** Extra time past `expiresAt` before an order is expired (an invoice opened just in time). */
  expiryGraceMs: number
  /** How long a `processing` order (pre-checkout approved) waits for Telegram's payment before it may expire. */
  processingTimeoutMs: number
  rateLimit: { max: number; windowMs: number } | false
  /** How long a creation may hold its idempotency key without making its order before a repeat takes the key over. */
  idempotencyTakeoverMs: number
}

/**
 * Makes the invoice of a new order (its payload is the order id) and returns its URL (`''` when it has none),
 * or the URL with what the order's first timeline event should also say (a chat invoice's message).
 */
export type MakeInvoice = (
  orderId: string,
  product: Product,
  quantity: number,
  amount: number,
) => Promise<string | { invoiceUrl: string; detail: Record<string, unknown> }>

/** What an order of `quantity` units of `product` sells: its kind, and a pass's access time. */
const termsOf = (product: Product, quantity: number): PurchaseTerms => {
  const kind = kindOf(product)
  return kind === 'pass' ? { kind, accessSeconds: (product.durationSeconds ?? 0) * quantity } : { kind }
}

/** Client hints (`invoice_closed` reports) kept on one order's timeline; later ones are not written. */
export const MAX_CLIENT_EVENTS_PER_ORDER = 50

/** The order service: what the HTTP routes and the Telegram handlers do to orders. */
export function createOrderService(options: OrderServiceOptions) {
  const { store, catalog } = options

  // Every creation that gets as far as asking Telegram for an invoice counts, made or not.
  async function takeCreationSlot(userId: number) {
    const limit = options.rateLimit
    if (!limit || (await store.takeCreationSlot(userId, limit.max, limit.windowMs))) return
    throw rateLimited()
  }

  function rateLimited() {
    const limit = options.rateLimit as { max: number; windowMs: number }
    return new PayError(
      'rate_limited',
      `Too many orders: at most ${limit.max} per ${limit.windowMs / 1000} s.`,
      {
        details: { retryAfterSeconds: Math.ceil(limit.windowMs / 1000) },
      },
    )
  }

  /** The product and the total of a new order, checked before anything is reserved or asked of Telegram. */
  async function priced(body: CreateOrderBody) {
    const product = await productForSale(catalog, body.productId)
    const maxQuantity = maxQuantityOf(product)
    if (body.quantity > maxQuantity) throw orderErrors.quantityTooLarge(product.id, maxQuantity)
    const amount = product.amount * body.quantity
    const currency = product.currency ?? 'XTR'
    const maxAmount = maxInvoiceAmount(currency)
    if (amount > maxAmount)
      throw new PayError(
        'validation_failed',
        `The order would cost ${amount} ${currency}, over Telegram's limit of ${maxAmount} per invoice: buy fewer.`,
        { details: { field: 'quantity' } },
      )
    return { product, amount }
  }

  /** Whether an expirable order is past its deadline (and grace): see `expiryDeadline`. */
  const isPastDeadline = (order: Order) =>
    EXPIRABLE_STATUSES.includes(order.status) &&
    expiryDeadline(order, options.processingTimeoutMs) + options.expiryGraceMs < Date.now()

  async function expireIfDue(order: Order): Promise<Order> {
    if (!isPastDeadline(order)) return order
    const result = await store.applyEvent(order.id, 'expired', {
      source: 'server',
      detail: { expiresAt: order.expiresAt },
    })
    return result?.order ?? order
  }

  async function getOwnOrder(user: InitDataUser, orderId: string): Promise<Order> {
    const order = await store.getOrder(orderId)
    if (!order || order.userId !== user.id) throw orderErrors.notFound(orderId)
    return expireIfDue(order)
  }

  /**
   * Creates an order and its invoice once per idempotency key; `created` is false for a repeat. The price
   * comes from the catalog; the invoice is made by `makeInvoice` (an invoice link by default).
   */
  async function createOrder(
    user: Pick<InitDataUser, 'id'>,
    body: CreateOrderBody,
    idempotencyKey?: string,
    makeInvoice: MakeInvoice = options.invoiceLink,
  ): Promise<{ order: Order; created: boolean }> {
    const { product, amount } = await priced(body)
    const orderId = newOrderId()
    // Nothing stands between the key and the slot but for a non-consumable (its ownership checks, which must not
    // cost a slot): otherwise both are taken in one round trip.
    const slotWithKey = idempotencyKey && kindOf(product) !== 'non-consumable' ? options.rateLimit : false
    let slotTaken: boolean | undefined
    if (idempotencyKey) {
      const reserved = await reserveIdempotencyKey(
        store,
        user.id,
        idempotencyKey,
        body,
        orderId,
        options.idempotencyTakeoverMs,
        slotWithKey || undefined,
      )
      if (reserved.existing) return { order: await expireIfDue(reserved.existing), created: false }
      slotTaken = reserved.slotTaken
    }
    try {
      if (kindOf(product) === 'non-consumable') {
        // Bought once: an owner gets 409 before Telegram is asked, and a second device the order still open.
        const owned = await store.getEntitlement(user.id, product.id)
        if (owned?.active) throw orderErrors.alreadyOwned(product.id, owned.orderId)
        const open = await store.findOpenOrder(user.id, product.id)
        if (open && !isPastDeadline(open)) {
          if (idempotencyKey) await store.releaseIdempotencyKey(user.id, idempotencyKey, orderId)
          return { order: open, created: false }
        }
      }
      if (!slotWithKey) await takeCreationSlot(user.id)
      else if (!slotTaken) throw rateLimited()
      const made = await makeInvoice(orderId, product, body.quantity, amount)
      const { invoiceUrl, detail } = typeof made === 'string' ? { invoiceUrl: made, detail: {} } : made
      const order = newOrder(product, {
        id: orderId,
        userId: user.id,
        quantity: body.quantity,
        metadata: body.metadata,
        invoiceUrl,
        ttlMs: options.orderTtlMs,
      })
      await store.insertOrder(
        order,
        { source: 'server', detail: { invoiceUrl, ...detail } },
        {
          ...(idempotencyKey ? { idempotency: { userId: user.id, key: idempotencyKey } } : {}),
          terms: termsOf(product, body.quantity),
        },
      )
      return { order, created: true }
    } catch (error) {
      // This request was too slow and a repeat took its key over: the repeat's order is the answer.
      if (error instanceof IdempotencyKeyTakenOver)
        return createOrder(user, body, idempotencyKey, makeInvoice)
      // The key did not produce an order: let a retry with it try again.
      if (idempotencyKey) await store.releaseIdempotencyKey(user.id, idempotencyKey, orderId)
      throw error
    }
  }

  return {
    createOrder,
    /** The user's own order (expired first if due); someone else's is as absent as a missing one. */
    getOwnOrder,

    /** Records what `invoice_closed` said; a hint only. The order as it is after. */
    async reportClientStatus(
      user: InitDataUser,
      orderId: string,
      status: ClientInvoiceStatus,
    ): Promise<Order> {
      const order = await getOwnOrder(user, orderId)
      const kind = CLIENT_STATUS_EVENTS[status]
      if (!kind) return order
      // A client may report as often as it likes; the timeline keeps its first hints only.
      const result = await store.applyEvent(
        order.id,
        kind,
        { source: 'client', detail: { invoiceStatus: status } },
        { maxEventsFromSource: MAX_CLIENT_EVENTS_PER_ORDER },
      )
      if (!result) throw orderErrors.notFound(orderId)
      return result.order
    },

    /** Expires unpaid orders past their time; returns how many. */
    async expireDue(limit = 100): Promise<number> {
      const before = Date.now() - options.expiryGraceMs
      const ids = await store.findExpired(
        new Date(before),
        new Date(before - options.processingTimeoutMs),
        limit,
      )
      let expired = 0
      for (const id of ids) {
        const result = await store.applyEvent(id, 'expired', { source: 'server', detail: {} })
        if (result?.changed) expired++
      }
      return expired
    },

    expireIfDue,
    isPastDeadline,
  }
}

export type OrderService = ReturnType<typeof createOrderService>
