import { type Api, HttpError } from 'grammy'
import {
  type ClientInvoiceStatus,
  type Order,
  type OrderEventKind,
  PayError,
  type Product,
  type Subscription,
} from '../core'
import { EXPIRABLE_STATUSES, expiryDeadline, maxInvoiceAmount } from '../core/order-rules'
import { sleep } from '../core/sleep'
import type { TelegramUser } from './auth'
import { type ProductCatalog, productForSale } from './catalog'
import { newOrderId } from './ids'
import type { CreateOrderBody } from './input'
import { IdempotencyKeyTakenOver, type PayStore } from './store/types'

export interface OrderServiceOptions {
  store: PayStore
  catalog: ProductCatalog
  telegram: Api
  /** How long an unpaid order stays payable. */
  orderTtlMs: number
  /** Extra time past `expiresAt` before an order is expired (an invoice opened just in time). */
  expiryGraceMs: number
  /** How long a `processing` order (pre-checkout approved) waits for Telegram's payment before it may expire. */
  processingTimeoutMs: number
  rateLimit: { max: number; windowMs: number } | false
  /** Payment provider token for currencies other than XTR; empty for Stars. */
  providerToken?: string
  /** How long a creation may hold its idempotency key without making its order before a repeat takes the key over. */
  idempotencyTakeoverMs: number
}

const clientEvents: Record<ClientInvoiceStatus, OrderEventKind | undefined> = {
  pending: 'client_opened',
  cancelled: 'client_cancelled',
  failed: 'client_failed',
  // A client's "paid" is never believed: only successful_payment pays an order.
  paid: undefined,
}

/** Client hints (`invoice_closed` reports) kept on one order's timeline; later ones are not written. */
export const MAX_CLIENT_EVENTS_PER_ORDER = 50

/**
 * Repeats a Bot API call that failed on the network (a reset keep-alive socket, a blip): making an
 * invoice link twice is harmless, as only the one stored with the order is ever shown. Telegram's own
 * errors are not repeated; they come back to the client as `telegram_error`.
 */
async function withNetworkRetry<T>(call: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (error) {
      if (!(error instanceof HttpError) || attempt >= attempts) throw error
      await sleep(100 * attempt)
    }
  }
}

async function requestHash(userId: number, body: CreateOrderBody): Promise<string> {
  const canonical = JSON.stringify([
    userId,
    body.productId,
    body.quantity,
    Object.entries(body.metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ])
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical))
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('')
}

/** The order service: what the HTTP routes and the Telegram handlers do to orders. */
export function createOrderService(options: OrderServiceOptions) {
  const { store, catalog } = options

  async function invoiceLink(
    orderId: string,
    product: Product,
    quantity: number,
    amount: number,
  ): Promise<string> {
    const currency = product.currency ?? 'XTR'
    const stars = currency === 'XTR'
    if (!stars && !options.providerToken) {
      throw new PayError(
        'provider_token_missing',
        `Product "${product.id}" is priced in ${currency}: configure providerToken (BotFather → Payments) to sell in currencies other than XTR.`,
        { details: { productId: product.id, currency } },
      )
    }
    try {
      return await withNetworkRetry(() =>
        options.telegram.createInvoiceLink(
          product.title,
          product.description,
          orderId,
          stars ? '' : options.providerToken!,
          currency,
          [{ label: quantity > 1 ? `${product.title} × ${quantity}` : product.title, amount }],
          {
            ...(product.photoUrl ? { photo_url: product.photoUrl } : {}),
            ...(product.subscriptionPeriod ? { subscription_period: product.subscriptionPeriod } : {}),
          },
        ),
      )
    } catch (cause) {
      throw new PayError('telegram_error', 'Telegram did not create the invoice link; try again.', {
        cause,
        details: { description: cause instanceof Error ? cause.message : String(cause) },
      })
    }
  }

  // Every creation that gets as far as asking Telegram for an invoice link counts, made or not.
  async function checkRateLimit(userId: number) {
    if (!options.rateLimit) return
    if (!(await store.takeCreationSlot(userId, options.rateLimit.max, options.rateLimit.windowMs))) {
      throw new PayError(
        'rate_limited',
        `Too many orders: at most ${options.rateLimit.max} per ${options.rateLimit.windowMs / 1000} s.`,
        {
          details: { retryAfterSeconds: Math.ceil(options.rateLimit.windowMs / 1000) },
        },
      )
    }
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

  return {
    /** Creates an order (and its invoice link) once per idempotency key. `created` is false for a repeat. */
    async createOrder(
      user: TelegramUser,
      body: CreateOrderBody,
      idempotencyKey?: string,
    ): Promise<{ order: Order; created: boolean }> {
      const product = await productForSale(catalog, body.productId)
      const maxQuantity = product.maxQuantity ?? 1
      if (body.quantity > maxQuantity) {
        throw new PayError(
          'validation_failed',
          `quantity must be at most ${maxQuantity} for "${product.id}".`,
          {
            details: { field: 'quantity' },
          },
        )
      }
      const amount = product.amount * body.quantity
      const currency = product.currency ?? 'XTR'
      const maxAmount = maxInvoiceAmount(currency)
      if (amount > maxAmount)
        throw new PayError(
          'validation_failed',
          `The order would cost ${amount} ${currency}, over Telegram's limit of ${maxAmount} per invoice: buy fewer.`,
          { details: { field: 'quantity' } },
        )
      const orderId = newOrderId()
      if (idempotencyKey) {
        const hash = await requestHash(user.id, body)
        // Another request with this key may be creating the order right now: its result is ours.
        for (const deadline = Date.now() + 10_000; ; await sleep(100)) {
          const reservation = await store.reserveIdempotencyKey(
            user.id,
            idempotencyKey,
            hash,
            orderId,
            options.idempotencyTakeoverMs,
          )
          if (reservation.state === 'reserved') break
          if (reservation.requestHash !== hash) {
            throw new PayError(
              'idempotency_conflict',
              'This Idempotency-Key was used with another request body; use a new key for a new order.',
            )
          }
          if (reservation.completed) {
            const existing = await store.getOrder(reservation.orderId)
            if (!existing) throw new PayError('internal', 'The order of this Idempotency-Key is missing.')
            return { order: await expireIfDue(existing), created: false }
          }
          if (Date.now() > deadline)
            throw new PayError(
              'idempotency_in_progress',
              'A request with this Idempotency-Key is still being processed; retry shortly.',
            )
        }
      }
      try {
        await checkRateLimit(user.id)
        const invoiceUrl = await invoiceLink(orderId, product, body.quantity, amount)
        const now = new Date()
        const order: Order = {
          id: orderId,
          userId: user.id,
          productId: product.id,
          title: product.title,
          description: product.description,
          quantity: body.quantity,
          amount,
          currency: product.currency ?? 'XTR',
          status: 'created',
          invoiceUrl,
          metadata: body.metadata,
          createdAt: now.toISOString(),
          updatedAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + options.orderTtlMs).toISOString(),
        }
        if (product.photoUrl) order.photoUrl = product.photoUrl
        if (product.subscriptionPeriod) order.subscription = { period: product.subscriptionPeriod }
        await store.insertOrder(
          order,
          { source: 'server', detail: { invoiceUrl } },
          idempotencyKey ? { userId: user.id, key: idempotencyKey } : undefined,
        )
        return { order, created: true }
      } catch (error) {
        // This request was too slow and a repeat took its key over: the repeat's order is the answer.
        if (error instanceof IdempotencyKeyTakenOver) return this.createOrder(user, body, idempotencyKey)
        // The key did not produce an order: let a retry with it try again.
        if (idempotencyKey) await store.releaseIdempotencyKey(user.id, idempotencyKey, orderId)
        throw error
      }
    },

    /** The user's own order; someone else's is as absent as a missing one. */
    async getOwnOrder(user: TelegramUser, orderId: string): Promise<Order> {
      const order = await store.getOrder(orderId)
      if (!order || order.userId !== user.id) throw new PayError('not_found', `No order ${orderId}.`)
      return expireIfDue(order)
    },

    async reportClientStatus(
      user: TelegramUser,
      orderId: string,
      status: ClientInvoiceStatus,
    ): Promise<Order> {
      const order = await this.getOwnOrder(user, orderId)
      const kind = clientEvents[status]
      if (!kind) return order
      // A client may report as often as it likes; the timeline keeps its first hints only.
      const result = await store.applyEvent(
        order.id,
        kind,
        { source: 'client', detail: { invoiceStatus: status } },
        { maxEventsFromSource: MAX_CLIENT_EVENTS_PER_ORDER },
      )
      if (!result) throw new PayError('not_found', `No order ${orderId}.`)
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

    /** The user's subscriptions (paid subscription orders, refunded ones inactive), newest first. */
    async listSubscriptions(user: TelegramUser): Promise<Subscription[]> {
      const now = Date.now()
      return (await store.listSubscriptions(user.id)).map(({ id, productId, status, subscription }) => ({
        orderId: id,
        productId,
        period: subscription!.period,
        active: status === 'paid' && Date.parse(subscription!.expiresAt ?? '') > now,
        ...(subscription!.expiresAt ? { expiresAt: subscription!.expiresAt } : {}),
        canceled: !!subscription!.canceled,
      }))
    },

    /**
     * Turns renewals of the user's paid subscription off (`canceled`) or back on, through Telegram's
     * `editUserStarSubscription` for the latest charge, then on the order. Telegram refusing leaves the order as it was.
     */
    async setSubscriptionCanceled(user: TelegramUser, orderId: string, canceled: boolean): Promise<Order> {
      const order = await this.getOwnOrder(user, orderId)
      const chargeId = order.telegramPaymentChargeId
      if (order.status !== 'paid' || !order.subscription || !chargeId)
        throw new PayError(
          'invalid_state',
          `Order ${orderId} is not a paid subscription: only those can be canceled or re-enabled.`,
          { details: { status: order.status } },
        )
      try {
        await options.telegram.editUserStarSubscription(order.userId, chargeId, canceled)
      } catch (cause) {
        throw new PayError(
          'telegram_error',
          'Telegram did not change the subscription; it stays as it was.',
          {
            cause,
            details: { description: cause instanceof Error ? cause.message : String(cause) },
          },
        )
      }
      const result = await store.setSubscriptionCanceled(orderId, canceled, {
        source: 'client',
        detail: { subscription: canceled ? 'canceled' : 'reenabled', telegramPaymentChargeId: chargeId },
      })
      if (!result) throw new PayError('not_found', `No order ${orderId}.`)
      return result.order
    },

    expireIfDue,
    isPastDeadline,
  }
}

export type OrderService = ReturnType<typeof createOrderService>
