import type { Api } from 'grammy'
import type { Order, Subscription } from '../core'
import { orderErrors } from '../core/order-errors'
import { subscriptionOf } from '../core/order-rules'
import type { InitDataUser } from './auth'
import type { OrderService } from './orders'
import type { PayStore } from './store/types'
import { telegramError } from './telegram-error'

export interface SubscriptionsOptions {
  store: PayStore
  orders: OrderService
  telegram: () => Api
}

/** A user's Stars subscriptions: what `GET /subscriptions` lists, and turning renewals off and on. */
export function createSubscriptions({ store, orders, telegram }: SubscriptionsOptions) {
  return {
    /** The user's subscriptions (paid subscription orders, refunded ones inactive), newest first. */
    async list(user: InitDataUser): Promise<Subscription[]> {
      const now = Date.now()
      return (await store.listSubscriptions(user.id)).map((order) => subscriptionOf(order, now))
    },

    /**
     * Turns renewals of the user's paid subscription off (`canceled`) or back on, through Telegram's
     * `editUserStarSubscription` for the latest charge, then on the order. Telegram refusing leaves the order as it was.
     */
    async setCanceled(user: InitDataUser, orderId: string, canceled: boolean): Promise<Order> {
      const order = await orders.getOwnOrder(user, orderId)
      const chargeId = order.telegramPaymentChargeId
      if (order.status !== 'paid' || !order.subscription || !chargeId)
        throw orderErrors.notASubscription(orderId, order.status)
      try {
        await telegram().editUserStarSubscription(order.userId, chargeId, canceled)
      } catch (cause) {
        throw telegramError('Telegram did not change the subscription; it stays as it was.', cause)
      }
      const result = await store.setSubscriptionCanceled(orderId, canceled, {
        source: 'client',
        detail: { subscription: canceled ? 'canceled' : 'reenabled', telegramPaymentChargeId: chargeId },
      })
      if (!result) throw orderErrors.notFound(orderId)
      return result.order
    },
  }
}

export type Subscriptions = ReturnType<typeof createSubscriptions>
