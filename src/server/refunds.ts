// Refunds: of one charge at a time, whoever asks (the shop owner's admin route, Telegram's refunded_payment,
// reconciliation reading the ledger). The order becomes refunded only when its current charge is refunded.
import { type Api, GrammyError } from 'grammy'
import type { Order } from '../core'
import { PayError } from '../core/errors'
import { sleep } from '../core/sleep'
import type { Logger } from './logger'
import type { EventInput, PayStore, RefundOutcome } from './store/types'

/**
 * How long one refund request owns an order's refund (the `refundStarPayment` call and the write after it).
 * Past it, a claim left by a crashed instance is stale and another refund may proceed.
 */
export const REFUND_LEASE_MS = 30_000
/** How long a refunded_payment waits for an admin refund of the same order that is still being written. */
const REFUND_WAIT_MS = 10_000

/** Who asked for an admin refund and why: written to the `refunded` timeline event. */
export interface RefundRequest {
  reason?: string
  by?: string
}

export interface RefundsOptions {
  store: PayStore
  telegram: () => Api
  logger: Logger
  /** Called after a refund made an order refunded (its `order.refunded` job is queued by then). */
  onRefundApplied: (order: Order) => void
}

const noOrder = (orderId: string) => new PayError('not_found', `No order ${orderId}.`)

export function createRefunds({ store, telegram, logger, onRefundApplied }: RefundsOptions) {
  async function apply(orderId: string, chargeId: string, event: EventInput, options = {}) {
    const result = await store.applyRefund(orderId, chargeId, event, options)
    if (result?.outcome === 'refunded') onRefundApplied(result.order)
    return result
  }

  /**
   * Refunds the current charge of a paid Stars order through `refundStarPayment`, then records it. A claim on
   * the order's row makes concurrent refunds of one order call Telegram once: the others get `invalid_state`.
   * Telegram refusing leaves the order paid. A renewal that lands meanwhile stays paid: the order is refunded
   * only if the refunded charge is still its current one.
   */
  async function refundOrder(orderId: string, request: RefundRequest = {}): Promise<Order> {
    const claim = await store.claimRefund(orderId, REFUND_LEASE_MS)
    if (!claim) throw noOrder(orderId)
    const { order } = claim
    const details = { status: order.status }
    if (claim.state === 'refunded')
      throw new PayError('invalid_state', `Order ${orderId} is already refunded.`, { details })
    if (claim.state === 'not_paid')
      throw new PayError(
        'invalid_state',
        `Order ${orderId} is ${order.status}: only a paid order can be refunded.`,
        { details },
      )
    if (claim.state === 'in_progress')
      throw new PayError('invalid_state', `A refund of order ${orderId} is already in progress.`, {
        details: { ...details, refunding: true },
      })
    const chargeId = order.telegramPaymentChargeId
    if (order.currency !== 'XTR' || !chargeId) {
      await store.releaseRefund(orderId)
      throw new PayError(
        'invalid_state',
        `Order ${orderId} was paid in ${order.currency}: only Stars payments are refunded here (refund it with the provider).`,
        { details },
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
      await telegram().refundStarPayment(
        order.userId,
        chargeId,
        AbortSignal.timeout(REFUND_LEASE_MS / 2) as Parameters<Api['refundStarPayment']>[2],
      )
    } catch (cause) {
      if (cause instanceof GrammyError && /CHARGE_ALREADY_REFUNDED/.test(cause.description)) {
        // Refunded in Telegram already (elsewhere, or by a request that died before writing it down).
        await apply(orderId, chargeId, {
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
    const result = await apply(orderId, chargeId, { source: 'admin', detail })
    if (!result) throw noOrder(orderId)
    if (result.outcome === 'charge_refunded')
      logger.warn(
        'a renewal landed while its order was being refunded: the older charge is refunded, the order stays paid',
        {
          orderId,
          refundedChargeId: chargeId,
          orderChargeId: result.order.telegramPaymentChargeId,
        },
      )
    // Also when unchanged: Telegram's refunded_payment for this very refund was written first.
    return result.order
  }

  return {
    refundOrder,

    /** Refunds a duplicate purchase (see `refundDuplicatePurchases`); one refunded already is left as it is. */
    async refundDuplicate(order: Order): Promise<void> {
      try {
        await refundOrder(order.id, { reason: `duplicate purchase of ${order.productId}`, by: 'tma-pay' })
      } catch (error) {
        // Refunded meanwhile (by the shop owner, or Telegram says so): done. Anything else is retried.
        if (!(error instanceof PayError) || error.code !== 'invalid_state') throw error
      }
    },

    /**
     * A refund Telegram reports (`refunded_payment`) or its ledger shows (reconciliation): recorded once. An admin
     * refund of the order still being written is waited for, so it stays the refund's source; past the wait this
     * throws (the webhook answers 500 and Telegram delivers the update again later).
     */
    async applyReportedRefund(
      orderId: string,
      chargeId: string,
      event: EventInput,
    ): Promise<{ order: Order; outcome: RefundOutcome } | undefined> {
      for (const deadline = Date.now() + REFUND_WAIT_MS; ; await sleep(100)) {
        const result = await apply(orderId, chargeId, event, { yieldToClaimMs: REFUND_LEASE_MS })
        if (!result) {
          logger.warn('a refund for no known order', { orderId, telegramPaymentChargeId: chargeId })
          return undefined
        }
        if (result.outcome !== 'in_progress') return result
        if (Date.now() > deadline)
          throw new Error(`a refund of order ${orderId} is in progress; deliver refunded_payment again`)
      }
    },
  }
}

export type Refunds = ReturnType<typeof createRefunds>
