// `GET /orders/:id/stream`: the live order stream, at most `maxStreamsPerUser` per user on this instance.
import { Hono } from 'hono'
import { parseLastEventId, parseOrderId } from '../input'
import type { Logger } from '../logger'
import { createOrderChangeHub, orderStreamResponse } from '../order-stream'
import { createStreamLimit } from '../stream-limit'
import { type PayEnv, type RouteServices, requireUser } from './context'

export function streamRoutes({ options, store, orders }: RouteServices, logger: Logger) {
  const hub = createOrderChangeHub(store, logger)
  const limit = createStreamLimit(options.maxStreamsPerUser)
  const open = new Set<() => void>()
  const routes = new Hono<PayEnv>().get('/orders/:id/stream', requireUser(options), async (c) => {
    // Owner only, and expired first if due, like GET /orders/:id.
    const order = await orders.getOwnOrder(c.var.user, parseOrderId(c.req.param('id')))
    const release = limit.acquire(c.var.user.id)
    const stream = orderStreamResponse({
      store,
      hub,
      orderId: order.id,
      lastEventId: parseLastEventId(c.req.header('last-event-id') ?? c.req.query('last_event_id')),
      heartbeatMs: options.streamHeartbeatMs,
      signal: c.req.raw.signal,
      logger,
    })
    open.add(stream.close)
    void stream.done.then(() => {
      open.delete(stream.close)
      release()
    })
    return stream.response
  })
  return {
    routes,
    /** Streams open now. */
    openCount: () => open.size,
    /** Ends every open stream and stops listening for changes: the server is closing. */
    async close() {
      for (const close of open) close()
      await hub.close()
    },
  }
}
