// The shop owner's routes, behind the admin key (404 without one, so nothing can guess a key): every order,
// refunds, users' entitlements, and chat invoices sent by the app's backend.
import { Hono, type MiddlewareHandler } from 'hono'
import { orderErrors } from '../../core/order-errors'
import {
  parseGrantBody,
  parseProductIdParam,
  parseRefundBody,
  parseRevokeBody,
  parseUserIdParam,
  parseUserIdQuery,
} from '../admin-input'
import { isObject, parseListQuery, parseOrderId, readJson } from '../input'
import type { PayEnv, RouteServices } from './context'

export function adminRoutes(
  { store, refunds, entitlements, drainFulfillment, sendInvoice }: RouteServices,
  requireAdmin: MiddlewareHandler,
) {
  const entitlementOf = (c: { req: { param(name: string): string | undefined } }) => ({
    userId: parseUserIdParam(c.req.param('userId')),
    productId: parseProductIdParam(c.req.param('productId')),
  })
  return (
    new Hono<PayEnv>()
      .use('/admin/*', requireAdmin)
      .get('/admin/orders', async (c) => {
        const query = c.req.query()
        const userId = parseUserIdQuery(query.user_id)
        return c.json(
          await store.listOrders({ ...parseListQuery(query), ...(userId === undefined ? {} : { userId }) }),
        )
      })
      .get('/admin/orders/:id/timeline', async (c) => {
        const id = parseOrderId(c.req.param('id'))
        const order = await store.getOrder(id)
        if (!order) throw orderErrors.notFound(id)
        return c.json({ orderId: order.id, events: await store.timeline(order.id) })
      })
      .post('/admin/orders/:id/refund', async (c) => {
        const request = await parseRefundBody(c.req.raw)
        try {
          return c.json(await refunds.refundOrder(parseOrderId(c.req.param('id')), request))
        } finally {
          // Also after a 409 that found the charge refunded in Telegram: that wrote an order.refunded job too.
          drainFulfillment()
        }
      })
      // Your backend's way to a chat invoice (`tma-pay serve` has no pay.sendInvoice to call).
      .post('/admin/invoices', async (c) => {
        const body = await readJson(c.req.raw)
        // The key comes from the header only, as for POST /orders.
        const idempotencyKey = c.req.header('idempotency-key')
        const { order, created } = await sendInvoice(isObject(body) ? { ...body, idempotencyKey } : body)
        return c.json(order, created ? 201 : 200)
      })
      .get('/admin/users/:userId/entitlements', async (c) =>
        c.json({ data: await entitlements.list(parseUserIdParam(c.req.param('userId'))) }),
      )
      .post('/admin/users/:userId/entitlements', async (c) => {
        const userId = parseUserIdParam(c.req.param('userId'))
        const { productId, ...why } = await parseGrantBody(c.req.raw)
        return c.json(await entitlements.grant(userId, productId, why))
      })
      .post('/admin/users/:userId/entitlements/:productId/revoke', async (c) => {
        const { userId, productId } = entitlementOf(c)
        return c.json(await entitlements.revoke(userId, productId, await parseRevokeBody(c.req.raw)))
      })
      .get('/admin/users/:userId/entitlements/:productId/timeline', async (c) => {
        const { userId, productId } = entitlementOf(c)
        return c.json({ userId, productId, events: await entitlements.timeline(userId, productId) })
      })
  )
}
