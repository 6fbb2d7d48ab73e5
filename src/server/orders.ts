import { type Api, GrammyError, HttpError } from 'grammy'
import {
  type ClientInvoiceStatus,
  isSettled,
  type Order,
  type OrderEventKind,
  PayError,
  type Product,
  type Subscription,
} from '../core'
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

/**
 * How long one refund request owns an order's refund (the `refundStarPayment` call and the write
 * after it). Past it, a claim left by a crashed instance is stale and another refund may proceed.
 */
export const REFUND_LEASE_MS = 30_000

/** Who asked for an admin refund and why: written to the `refunded` timeline event. */
export interface RefundRequest {
  reason?: string
  by?: string
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

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

  async function checkRateLimit(userId: number) {
    if (!options.rateLimit) return
    const since = new Date(Date.now() - options.rateLimit.windowMs)
    const count = await store.countOrdersSince(userId, since)
    if (count >= options.rateLimit.max) {
      throw new PayError(
        'rate_limited',
        `Too many orders: at most ${options.rateLimit.max} per ${options.rateLimit.windowMs / 1000} s.`,
        {
          details: { retryAfterSeconds: Math.ceil(options.rateLimit.windowMs / 1000) },
        },
      )
    }
  }

  async function expireIfDue(order: Order): Promise<Order> {
    if (isSettled(order.status) && order.status !== 'cancelled') return order
    if (Date.parse(order.expiresAt) + options.expiryGraceMs > Date.now()) return order
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
      if (!Number.isSafeInteger(amount)) throw new PayError('validation_failed', 'quantity is too large.')
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
      const result = await store.applyEvent(order.id, kind, {
        source: 'client',
        detail: { invoiceStatus: status },
      })
      if (!result) throw new PayError('not_found', `No order ${orderId}.`)
      return result.order
    },

    /** Expires unpaid orders past their time; returns how many. */
    async expireDue(limit = 100): Promise<number> {
      const ids = await store.findExpired(new Date(Date.now() - options.expiryGraceMs), limit)
      let expired = 0
      for (const id of ids) {
        const result = await store.applyEvent(id, 'expired', { source: 'server', detail: {} })
        if (result?.changed) expired++
      }
      return expired
    },

    /**
     * Refunds a paid Stars order through `refundStarPayment`, then makes it `refunded` with an
     * `order.refunded` job. A claim on the order's row makes concurrent refunds of one order call
     * Telegram once: the others get `invalid_state`. Telegram refusing leaves the order paid.
     */
    async refundOrder(orderId: string, request: RefundRequest = {}): Promise<Order> {
      const claim = await store.claimRefund(orderId, REFUND_LEASE_MS)
      if (!claim) throw new PayError('not_found', `No order ${orderId}.`)
      const { order } = claim
      if (claim.state === 'refunded')
        throw new PayError('invalid_state', `Order ${orderId} is already refunded.`, {
          details: { status: order.status },
        })
      if (claim.state === 'not_paid')
        throw new PayError(
          'invalid_state',
          `Order ${orderId} is ${order.status}: only a paid order can be refunded.`,
          { details: { status: order.status } },
        )
      if (claim.state === 'in_progress')
        throw new PayError('invalid_state', `A refund of order ${orderId} is already in progress.`, {
          details: { status: order.status, refunding: true },
        })
      const chargeId = order.telegramPaymentChargeId
      if (order.currency !== 'XTR' || !chargeId) {
        await store.releaseRefund(orderId)
        throw new PayError(
          'invalid_state',
          `Order ${orderId} was paid in ${order.currency}: only Stars payments are refunded here (refund it with the provider).`,
          { details: { status: order.status } },
        )
      }
      const detail = {
        telegramPaymentChargeId: chargeId,
        amount: order.amount,
        ...(request.by ? { by: request.by } : {}),
        ...(request.reason ? { reason: request.reason } : {}),
      }
      try {
        // Bounded well inside the claim's lease, so no second request can start while this one waits.
        await options.telegram.refundStarPayment(
          order.userId,
          chargeId,
          AbortSignal.timeout(REFUND_LEASE_MS / 2) as Parameters<Api['refundStarPayment']>[2],
        )
      } catch (cause) {
        if (cause instanceof GrammyError && /CHARGE_ALREADY_REFUNDED/.test(cause.description)) {
          // Refunded in Telegram already (elsewhere, or by a request that died before writing it down).
          await store.applyRefund(orderId, {
            source: 'admin',
            detail: { ...detail, alreadyRefundedInTelegram: true },
          })
          throw new PayError('invalid_state', `Order ${orderId} is already refunded (Telegram says so).`, {
            details: { status: 'refunded' },
          })
        }
        await store.releaseRefund(orderId)
        throw new PayError('telegram_error', 'Telegram did not refund the payment; the order stays paid.', {
          cause,
          details: { description: cause instanceof Error ? cause.message : String(cause) },
        })
      }
      const result = await store.applyRefund(orderId, { source: 'admin', detail })
      if (!result) throw new PayError('not_found', `No order ${orderId}.`)
      // Also when unchanged: Telegram's refunded_payment for this very refund was written first.
      return result.order
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
  }
}

export type OrderService = ReturnType<typeof createOrderService>
