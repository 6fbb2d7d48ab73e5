import { Bot, type Context, GrammyError } from 'grammy'
import type { UserFromGetMe } from 'grammy/types'
import type { Order } from '../core'
import { acceptsPreCheckout } from '../core/transitions'
import { type ProductCatalog, productProblems } from './catalog'
import type { Logger } from './logger'
import type { OrderService } from './orders'
import type { RecordPayment } from './payments'
import type { Refunds } from './refunds'
import type { PayStore } from './store/types'

export interface TelegramHandlersOptions {
  botToken: string
  apiRoot?: string
  botInfo?: UserFromGetMe
  store: PayStore
  catalog: ProductCatalog
  orders: OrderService
  recordPayment: RecordPayment
  refunds: Refunds
  logger: Logger
}

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
  orders: OrderService,
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
  if (order.status === 'expired' || orders.isPastDeadline(order))
    return { reason: 'expired', message: 'This order has expired; please start again.' }
  if (!acceptsPreCheckout(order.status))
    return { reason: 'not_payable', message: 'This order can no longer be paid; please start again.' }
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
    const refusal = await refusalReason(order, query, options.catalog, orders)
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
    await options.recordPayment({
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
      ...(payment.is_first_recurring ? { isFirstRecurring: true } : {}),
    })
  })

  // A refund made elsewhere (the bot owner in Telegram), or the echo of our own refundStarPayment.
  bot.on('message:refunded_payment', async (ctx: Context) => {
    const refund = ctx.message!.refunded_payment!
    await options.refunds.applyReportedRefund(refund.invoice_payload, refund.telegram_payment_charge_id, {
      source: 'telegram',
      detail: {
        telegramPaymentChargeId: refund.telegram_payment_charge_id,
        amount: refund.total_amount,
        currency: refund.currency,
      },
    })
  })

  return bot
}
