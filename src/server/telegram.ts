import { Bot, type Context, GrammyError } from 'grammy'
import type { UserFromGetMe } from 'grammy/types'
import type { Order } from '../core'
import { acceptsPreCheckout } from '../core/transitions'
import { type ProductCatalog, productProblems } from './catalog'
import type { Logger } from './fulfillment'
import { type OrderService, REFUND_LEASE_MS } from './orders'
import type { PayStore } from './store/types'

export interface TelegramHandlersOptions {
  botToken: string
  apiRoot?: string
  botInfo?: UserFromGetMe
  store: PayStore
  catalog: ProductCatalog
  orders: OrderService
  expiryGraceMs: number
  logger: Logger
  /** Called after a successful_payment made an order paid (fulfilment is queued by then), or renewed its subscription. */
  onPaymentApplied: (order: Order) => void
  /** Called after a refunded_payment made an order refunded (its `order.refunded` job is queued by then). */
  onRefundApplied: (order: Order) => void
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** How long a refunded_payment waits for an admin refund of the same order that is still being written. */
const REFUND_WAIT_MS = 10_000

/**
 * Answers a pre-checkout query. Telegram refusing the answer with a 400 (the query was answered already, by an
 * instance that died before acknowledging the update, or is past its 10 s) is final: the update is acknowledged,
 * since every redelivery would get the same 400 and Telegram would redeliver it forever. Network errors still
 * throw, so the update comes again while the query may still be open.
 */
async function answerPreCheckout(ctx: Context, logger: Logger, ok: boolean, errorMessage?: string) {
  try {
    if (ok) await ctx.answerPreCheckoutQuery(true)
    else await ctx.answerPreCheckoutQuery(false, { error_message: errorMessage ?? '' })
  } catch (error) {
    if (!(error instanceof GrammyError) || error.error_code !== 400) throw error
    logger.warn('Telegram did not take the pre-checkout answer; not retried', {
      orderId: ctx.preCheckoutQuery?.invoice_payload,
      ok,
      description: error.description,
    })
  }
}

/** Why a pre-checkout must be refused, or undefined to approve. The text is shown to the user by Telegram. */
async function refusalReason(
  order: Order | undefined,
  query: { from: { id: number }; total_amount: number; currency: string },
  catalog: ProductCatalog,
  expiryGraceMs: number,
): Promise<{ reason: string; message: string } | undefined> {
  if (!order) return { reason: 'unknown_order', message: 'This invoice is not valid any more.' }
  if (query.from.id !== order.userId)
    return { reason: 'wrong_user', message: 'This invoice was made for another user.' }
  if (query.total_amount !== order.amount || query.currency !== order.currency)
    return {
      reason: 'amount_mismatch',
      message: 'The price of this invoice has changed; please start again.',
    }
  if (order.status === 'paid' || order.status === 'refunded')
    return { reason: 'already_paid', message: 'This order is already paid.' }
  if (!acceptsPreCheckout(order.status) || Date.parse(order.expiresAt) + expiryGraceMs < Date.now())
    return { reason: 'not_payable', message: 'This order has expired; please start again.' }
  const product = await catalog.get(order.productId)
  if (!product || product.active === false || productProblems(product).length > 0)
    return { reason: 'product_unavailable', message: 'This product is not for sale any more.' }
  return undefined
}

/** The grammY bot that takes Telegram's payment updates. */
export function createTelegramBot(options: TelegramHandlersOptions): Bot {
  const { store, orders, logger } = options
  const bot = new Bot(options.botToken, {
    ...(options.botInfo ? { botInfo: options.botInfo } : {}),
    client: { ...(options.apiRoot ? { apiRoot: options.apiRoot } : {}) },
  })

  bot.on('pre_checkout_query', async (ctx: Context) => {
    const query = ctx.preCheckoutQuery!
    const found = await store.getOrder(query.invoice_payload)
    // An order past its time is expired first, so its timeline says why the payment was refused.
    const order = found && (await orders.expireIfDue(found))
    const refusal = await refusalReason(order, query, options.catalog, options.expiryGraceMs)
    if (refusal) {
      if (order && order.userId === query.from.id) {
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
      logger.warn('pre-checkout refused', { orderId: query.invoice_payload, reason: refusal.reason })
      await answerPreCheckout(ctx, logger, false, refusal.message)
      return
    }
    await store.applyEvent(order!.id, 'precheckout_approved', {
      source: 'telegram',
      detail: { preCheckoutQueryId: query.id },
    })
    await answerPreCheckout(ctx, logger, true)
  })

  bot.on('message:successful_payment', async (ctx: Context) => {
    const payment = ctx.message!.successful_payment!
    const result = await store.recordPayment({
      telegramPaymentChargeId: payment.telegram_payment_charge_id,
      providerPaymentChargeId: payment.provider_payment_charge_id,
      invoicePayload: payment.invoice_payload,
      userId: ctx.from?.id ?? ctx.chat?.id ?? 0,
      amount: payment.total_amount,
      currency: payment.currency,
      source: 'telegram',
      ...(payment.subscription_expiration_date
        ? { subscriptionExpiresAt: new Date(payment.subscription_expiration_date * 1000).toISOString() }
        : {}),
      ...(payment.is_recurring ? { isRecurring: true } : {}),
      ...(payment.is_first_recurring ? { isFirstRecurring: true } : {}),
    })
    if (!result.order) {
      // Money taken is never lost: the charge is on record even though no order of ours matches.
      logger.error('successful_payment for no known order; the charge is recorded for a refund', {
        invoicePayload: payment.invoice_payload,
        telegramPaymentChargeId: payment.telegram_payment_charge_id,
      })
      return
    }
    // A first payment or a renewal (which moves the order's subscription on).
    if (result.applied) options.onPaymentApplied(result.order)
  })

  // A refund made elsewhere (the bot owner in Telegram), or the echo of our own refundStarPayment.
  bot.on('message:refunded_payment', async (ctx: Context) => {
    const refund = ctx.message!.refunded_payment!
    const context = {
      invoicePayload: refund.invoice_payload,
      telegramPaymentChargeId: refund.telegram_payment_charge_id,
    }
    for (const deadline = Date.now() + REFUND_WAIT_MS; ; ) {
      const claim = await store.claimRefund(refund.invoice_payload, REFUND_LEASE_MS)
      if (!claim) {
        logger.warn('refunded_payment for no known order', context)
        return
      }
      if (claim.order.telegramPaymentChargeId !== refund.telegram_payment_charge_id) {
        // Another charge of this order (a duplicate payment) was refunded: the order's own payment stands.
        if (claim.state === 'claimed') await store.releaseRefund(claim.order.id)
        logger.warn("refunded_payment for a charge that is not the order's payment", {
          ...context,
          orderChargeId: claim.order.telegramPaymentChargeId,
        })
        return
      }
      if (claim.state === 'refunded') return
      if (claim.state === 'not_paid') {
        logger.warn('refunded_payment for an order that is not paid', {
          ...context,
          status: claim.order.status,
        })
        return
      }
      if (claim.state === 'in_progress') {
        // An admin refund of this order is between Telegram's answer and its write: let it finish.
        // Past the wait, throwing answers 500 and Telegram delivers the update again later.
        if (Date.now() > deadline)
          throw new Error(
            `a refund of order ${claim.order.id} is in progress; deliver refunded_payment again`,
          )
        await sleep(100)
        continue
      }
      const result = await store.applyRefund(claim.order.id, {
        source: 'telegram',
        detail: {
          telegramPaymentChargeId: refund.telegram_payment_charge_id,
          amount: refund.total_amount,
          currency: refund.currency,
        },
      })
      if (result?.changed) options.onRefundApplied(result.order)
      return
    }
  })

  return bot
}
