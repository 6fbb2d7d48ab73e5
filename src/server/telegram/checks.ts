// The pre-checkout decision: whether an order may be paid now, and the answer Telegram shows the user.
import { type Context, GrammyError } from 'grammy'
import type { Order } from '../../core'
import { acceptsPreCheckout } from '../../core/transitions'
import { type ProductCatalog, productProblems } from '../catalog'
import type { Logger } from '../logger'
import { type PayMetrics, secondsSince } from '../metrics'
import type { OrderService } from '../orders'

/** A refusal: `reason` goes to the order's timeline, `message` to the user (Telegram shows it). */
export interface Refusal {
  reason: string
  message: string
}

/** What a pre-checkout of an invoice that names no order is refused with, when no one else answers it. */
export const unknownInvoice: Refusal = {
  reason: 'unknown_order',
  message: 'This invoice is not valid any more.',
}

/** What answering a pre-checkout needs: where to log, and where its latency goes (from `startedAt`, the update's arrival). */
export interface PreCheckoutAnswerer {
  logger: Logger
  metrics: PayMetrics
  startedAt: number
}

/**
 * Answers a pre-checkout query. Telegram refusing the answer with a 400 (the query was answered already, by an
 * instance that died before acknowledging the update, or is past its 10 s) is final: the update is acknowledged,
 * since every redelivery would get the same 400 and Telegram would redeliver it forever. Network errors still
 * throw, so the update comes again while the query may still be open.
 */
export async function answerPreCheckout(
  ctx: Context,
  { logger, metrics, startedAt }: PreCheckoutAnswerer,
  ok: boolean,
  errorMessage?: string,
) {
  try {
    if (ok) await ctx.answerPreCheckoutQuery(true)
    else await ctx.answerPreCheckoutQuery(false, { error_message: errorMessage ?? '' })
    metrics.preCheckout?.(ok ? 'approved' : 'refused', secondsSince(startedAt))
  } catch (error) {
    if (!(error instanceof GrammyError) || error.error_code !== 400) throw error
    logger.warn('Telegram did not take the pre-checkout answer; not retried', {
      orderId: ctx.preCheckoutQuery?.invoice_payload,
      ok,
      description: error.description,
    })
  }
}

/** Why a pre-checkout of `order` must be refused, or undefined to approve. */
export async function refusalReason(
  order: Order,
  query: { from: { id: number }; total_amount: number; currency: string },
  catalog: ProductCatalog,
  orders: OrderService,
): Promise<Refusal | undefined> {
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
