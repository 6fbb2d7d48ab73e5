// The Mini App's routes: the catalog, the user's own orders, hints, subscriptions and entitlements.
import { Hono } from 'hono'
import { withKind } from '../catalog'
import {
  parseClientStatusBody,
  parseCreateOrderBody,
  parseIdempotencyKey,
  parseListQuery,
  parseOrderId,
  parseSubscriptionBody,
  readJson,
} from '../input'
import { type PayEnv, type RouteServices, requireUser } from './context'

export function userRoutes({ options, store, catalog, orders, subscriptions, entitlements }: RouteServices) {
  const user = requireUser(options)
  const orderId = (param: string | undefined) => parseOrderId(param)
  return new Hono<PayEnv>()
    .get('/healthz', (c) => c.json({ ok: true }))
    .get('/products', async (c) => c.json({ data: (await catalog.list()).map(withKind) }))
    .post('/orders', user, async (c) => {
      const idempotencyKey = parseIdempotencyKey(c.req.header('idempotency-key'))
      const body = parseCreateOrderBody(await readJson(c.req.raw))
      const { order, created } = await orders.createOrder(c.var.user, body, idempotencyKey)
      return c.json(order, created ? 201 : 200)
    })
    .get('/orders', user, async (c) =>
      c.json(await store.listOrders({ ...parseListQuery(c.req.query()), userId: c.var.user.id })),
    )
    .get('/orders/:id', user, async (c) =>
      c.json(await orders.getOwnOrder(c.var.user, orderId(c.req.param('id')))),
    )
    .get('/orders/:id/timeline', user, async (c) => {
      const order = await orders.getOwnOrder(c.var.user, orderId(c.req.param('id')))
      return c.json({ orderId: order.id, events: await store.timeline(order.id) })
    })
    .post('/orders/:id/client-status', user, async (c) => {
      const status = parseClientStatusBody(await readJson(c.req.raw))
      return c.json(await orders.reportClientStatus(c.var.user, orderId(c.req.param('id')), status))
    })
    .get('/subscriptions', user, async (c) => c.json({ data: await subscriptions.list(c.var.user) }))
    .post('/orders/:id/subscription', user, async (c) => {
      const canceled = parseSubscriptionBody(await readJson(c.req.raw))
      return c.json(await subscriptions.setCanceled(c.var.user, orderId(c.req.param('id')), canceled))
    })
    .get('/entitlements', user, async (c) => c.json({ data: await entitlements.list(c.var.user.id) }))
}
