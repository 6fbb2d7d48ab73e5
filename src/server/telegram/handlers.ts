// tma-pay's Telegram handlers, one grammY Composer for every way updates arrive: the built-in webhook route,
// `pay.startPolling()`, and the app's own bot through `pay.botMiddleware()`. An invoice is tma-pay's when its
// payload is an order id that names an order in the store; every other update goes on with next().
import { Composer, type Context, type Filter } from 'grammy'
import type { Order } from '../../core/order'
import type { ProductCatalog } from '../catalog'
import { isOrderId } from '../input'
import type { Logger } from '../logger'
import type { PayMetrics } from '../metrics'
import type { OrderService } from '../orders'
import type { RecordPayment } from '../payments'
import type { Refunds } from '../refunds'
import type { PaymentRecord, PayStore } from '../store/types'
import { answerPreCheckout, refusalReason, unknownInvoice } from './checks'
import { preCheckoutProblem, refundedPaymentProblem, successfulPaymentProblem } from './update'

export interface PayHandlersOptions {
  store: PayStore
  catalog: ProductCatalog
  orders: OrderService
  recordPayment: RecordPayment
  refunds: Refunds
  logger: Logger
  metrics: PayMetrics
  /** Resolves once the store is migrated; awaited by payment updates only, so an app's /start never waits for it. */
  ready: () => Promise<void>
}

/** How many order ids each handler set remembers as tma-pay's. */
const KNOWN_ORDERS = 1000

type PaymentContext = Filter<Context, 'message:successful_payment'>

// Read before the fields are checked: a malformed payment may not even be an object.
const payloadOf = (payment: unknown): unknown =>
  (payment as { invoice_payload?: unknown } | null)?.invoice_payload

/** The charge a successful_payment message reports, as the store records it. */
function paymentRecordOf(ctx: PaymentContext): PaymentRecord {
  const payment = ctx.message.successful_payment
  return {
    telegramPaymentChargeId: payment.telegram_payment_charge_id,
    providerPaymentChargeId: payment.provider_payment_charge_id,
    invoicePayload: payment.invoice_payload,
    userId: ctx.from?.id ?? ctx.chat.id,
    amount: payment.total_amount,
    currency: payment.currency,
    source: 'telegram',
    ...(payment.subscription_expiration_date
      ? { subscriptionExpiresAt: new Date(payment.subscription_expiration_date * 1000).toISOString() }
      : {}),
    ...(payment.is_first_recurring ? { isFirstRecurring: true } : {}),
  }
}

/**
 * The handlers of tma-pay's own invoices. Only the built-in webhook checks an update at the edge (400 for a
 * malformed one); updates from an app's bot or getUpdates arrive unchecked, so each handler checks the fields it
 * reads. A malformed update of one of our invoices is logged and acknowledged, never thrown: a throw would stop a
 * polling bot (grammY's default error handler) and a redelivery carries the same fields. Its money is still safe:
 * a pre-checkout left unanswered lapses and charges nothing, and a Stars charge whose successful_payment could
 * not be read is found in getStarTransactions by reconciliation. Store and network failures do throw, so a
 * webhook answers 500 and Telegram delivers the update again.
 */
export function createPayHandlers(options: PayHandlersOptions): Composer<Context> {
  const { store, orders, logger } = options
  // Orders are never deleted, so an order once read is tma-pay's for good: the payment of an order this instance
  // has just approved at pre-checkout needs no read to know it (one round trip less on the live path).
  const knownOrderIds = new Set<string>()
  const ownOrder = async (payload: unknown): Promise<Order | undefined> => {
    if (!isOrderId(payload)) return undefined
    await options.ready()
    const order = await store.getOrder(payload)
    if (order) {
      knownOrderIds.add(order.id)
      if (knownOrderIds.size > KNOWN_ORDERS) knownOrderIds.delete(knownOrderIds.values().next().value!)
    }
    return order
  }
  /** The id of a tma-pay order the payload names, read from the store only when this instance has not seen it. */
  const ownOrderId = async (payload: unknown): Promise<string | undefined> => {
    if (typeof payload === 'string' && knownOrderIds.has(payload)) {
      await options.ready()
      return payload
    }
    return (await ownOrder(payload))?.id
  }
  const composer = new Composer<Context>()

  composer.on('pre_checkout_query', async (ctx, next) => {
    const answerer = { logger, metrics: options.metrics, startedAt: performance.now() }
    const query = ctx.preCheckoutQuery
    const found = await ownOrder(query?.invoice_payload)
    if (!found) return next()
    const problem = preCheckoutProblem(query)
    if (problem) {
      logger.error('a malformed pre_checkout_query of a tma-pay order: not answered, so nothing is charged', {
        orderId: found.id,
        problem,
      })
      return
    }
    // An order past its time is expired first, so its timeline says why the payment was refused.
    const order = await orders.expireIfDue(found)
    const refusal = await refusalReason(order, query, options.catalog, orders)
    if (refusal) {
      if (order.userId === query.from.id) {
        await store.applyEvent(order.id, 'precheckout_refused', {
          source: 'telegram',
          detail: {
            reason: refusal.reason,
            preCheckoutQueryId: query.id,
            totalAmount: query.total_amount,
            currency: query.currency,
          },
        })
      }
      logger.warn('pre-checkout refused', { orderId: order.id, reason: refusal.reason })
      await answerPreCheckout(ctx, answerer, false, refusal.message)
      return
    }
    await store.applyEvent(order.id, 'precheckout_approved', {
      source: 'telegram',
      detail: { preCheckoutQueryId: query.id },
    })
    await answerPreCheckout(ctx, answerer, true)
  })

  composer.on('message:successful_payment', async (ctx, next) => {
    const orderId = await ownOrderId(payloadOf(ctx.message.successful_payment))
    if (!orderId) return next()
    const problem = successfulPaymentProblem(ctx.message)
    if (problem) {
      logger.error(
        'a malformed successful_payment of a tma-pay order: not recorded; reconciliation finds a Stars charge in getStarTransactions',
        { orderId, problem },
      )
      return
    }
    await options.recordPayment(paymentRecordOf(ctx))
  })

  // A refund made elsewhere (the bot owner in Telegram), or the echo of our own refundStarPayment.
  composer.on('message:refunded_payment', async (ctx, next) => {
    const refund = ctx.message.refunded_payment
    const orderId = await ownOrderId(payloadOf(refund))
    if (!orderId) return next()
    const problem = refundedPaymentProblem(ctx.message)
    if (problem) {
      logger.error('a malformed refunded_payment of a tma-pay order: not recorded', { orderId, problem })
      return
    }
    await options.refunds.applyReportedRefund(orderId, refund.telegram_payment_charge_id, {
      source: 'telegram',
      detail: {
        telegramPaymentChargeId: refund.telegram_payment_charge_id,
        amount: refund.total_amount,
        currency: refund.currency,
      },
    })
  })

  return composer
}

/**
 * What tma-pay does with the rest when it is the bot's only consumer (its webhook or its polling, with nowhere
 * to forward to): a pre-checkout of an invoice it did not make is refused at once (no one else would answer it,
 * and the user would wait 10 s for nothing), a payment of one is still recorded (an orphan charge, for a refund:
 * money taken is never lost), and every other update is acknowledged.
 */
export function createSoleConsumerHandlers(options: PayHandlersOptions): Composer<Context> {
  const { logger } = options
  const composer = new Composer<Context>()
  composer.on('pre_checkout_query', async (ctx) => {
    const answerer = { logger, metrics: options.metrics, startedAt: performance.now() }
    const problem = preCheckoutProblem(ctx.preCheckoutQuery)
    if (problem) return logger.error('a malformed pre_checkout_query: not answered', { problem })
    logger.warn('pre-checkout refused', {
      invoicePayload: ctx.preCheckoutQuery.invoice_payload,
      reason: unknownInvoice.reason,
    })
    await answerPreCheckout(ctx, answerer, false, unknownInvoice.message)
  })
  composer.on('message:successful_payment', async (ctx) => {
    const problem = successfulPaymentProblem(ctx.message)
    if (problem) return logger.error('a malformed successful_payment: not recorded', { problem })
    await options.ready()
    await options.recordPayment(paymentRecordOf(ctx))
  })
  composer.on('message:refunded_payment', (ctx) => {
    logger.warn('a refund for no known order', {
      invoicePayload: ctx.message.refunded_payment.invoice_payload,
      telegramPaymentChargeId: ctx.message.refunded_payment.telegram_payment_charge_id,
    })
  })
  return composer
}
