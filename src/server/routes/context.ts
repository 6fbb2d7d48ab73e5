import type { MiddlewareHandler } from 'hono'
import { authenticateInitData, type InitDataUser } from '../auth'
import type { ProductCatalog } from '../catalog'
import type { SendChatInvoice } from '../chat-invoices'
import type { Entitlements } from '../entitlements'
import type { ResolvedOptions } from '../options'
import type { OrderService } from '../orders'
import type { Refunds } from '../refunds'
import type { PayStore } from '../store/types'
import type { Subscriptions } from '../subscriptions'

/** What the route groups hang on: the user a request's init data names, once `requireUser` has run. */
export type PayEnv = { Variables: { user: InitDataUser } }

/** The services the route groups call. */
export interface RouteServices {
  options: ResolvedOptions
  store: PayStore
  catalog: ProductCatalog
  orders: OrderService
  subscriptions: Subscriptions
  entitlements: Entitlements
  refunds: Refunds
  /** Runs due fulfilment jobs soon (after a refund wrote one). */
  drainFulfillment: () => void
  /** Sends an order's invoice message to a chat (pay.sendInvoice). */
  sendInvoice: SendChatInvoice
}

/** Checks `Authorization: tma <init data>` and puts its user on the context; 401 with a code otherwise. */
export const requireUser =
  (options: ResolvedOptions): MiddlewareHandler<PayEnv> =>
  async (c, next) => {
    c.set(
      'user',
      authenticateInitData(c.req.header('authorization'), options.botToken, options.initDataMaxAgeSeconds),
    )
    await next()
  }
