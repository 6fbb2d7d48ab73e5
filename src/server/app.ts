import { type Context, Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { type Order, PayError } from '../core'
import { adminAuth, checkAdminKey, sameSecret } from './admin-auth'
import { authenticateInitData, type TelegramUser } from './auth'
import { toCatalog } from './catalog'
import { corsMiddleware } from './cors'
import { errorResponse } from './errors'
import { createFulfillmentWorker, type Logger } from './fulfillment'
import {
  parseClientStatusBody,
  parseCreateOrderBody,
  parseIdempotencyKey,
  parseLastEventId,
  parseListQuery,
  parseOrderId,
  parseRefundBody,
  parseSubscriptionBody,
  parseUserIdQuery,
  readJson,
} from './input'
import { createInvoiceLinkMaker } from './invoice-link'
import type { PayServerOptions } from './options'
import { createOrderChangeHub, orderStreamResponse } from './order-stream'
import { createOrderService } from './orders'
import { createPaymentRecorder } from './payments'
import { createReconciler, DEFAULT_RECONCILE_INTERVAL_MS, type ReconcileResult } from './reconcile'
import { createRefunds } from './refunds'
import { pgliteStore } from './store/pglite'
import type { PayStore } from './store/types'
import {
  createStoreGate,
  DEFAULT_STORE_RETRY_MS,
  describeError,
  isStoreConnectionError,
  storeUnavailable,
} from './store-gate'
import { createSubscriptions } from './subscriptions'
import { createTelegramBot } from './telegram'
import { parseTelegramUpdate } from './telegram-update'

export interface PayServer {
  /**
   * The Web-standard handler: `serve({ fetch: pay.fetch })`, `app.mount('/api/pay', pay.fetch)`, Next.js
   * route handlers... The adapter's env goes through to the app (under @hono/node-server it tells the
   * client's address, which the admin key throttle counts by).
   */
  fetch: (request: Request, env?: unknown) => Promise<Response>
  /** The Hono app, to `app.route()` it into yours. */
  app: Hono<Env>
  store: PayStore
  /** grammY's Bot API client, pointed at `apiRoot`. */
  telegram: ReturnType<typeof createTelegramBot>['api']
  /** Runs expiry and due fulfilment now (what the background interval does). */
  runBackgroundWork(): Promise<void>
  /**
   * Reconciles with Telegram now (what the reconcile interval does): applies Stars payments in
   * `getStarTransactions` whose webhook never arrived. Rejects, after logging, when Telegram fails.
   */
  reconcile(): Promise<ReconcileResult>
  /** Stops background work and closes the store. */
  close(): Promise<void>
}

type Env = { Variables: { user: TelegramUser } }

const consoleLogger: Logger = {
  info: (message, data) => console.info(`[tma-pay] ${message}`, data ?? ''),
  warn: (message, data) => console.warn(`[tma-pay] ${message}`, data ?? ''),
  error: (message, data) => console.error(`[tma-pay] ${message}`, data ?? ''),
}

/** The server half of tma-pay: orders, invoices and Telegram's webhook, as one fetch handler. */
export function createPayServer(options: PayServerOptions): PayServer {
  if (!options.botToken)
    throw new TypeError('createPayServer: botToken is required (from @BotFather, or the simulator).')
  if (!options.webhookSecret || !/^[A-Za-z0-9_-]{1,256}$/.test(options.webhookSecret)) {
    throw new TypeError(
      'createPayServer: webhookSecret must be 1-256 characters of A-Z a-z 0-9 _ - (Telegram sends it back on every webhook call).',
    )
  }
  checkAdminKey(options.adminKey)
  // Checked first: a bad option throws before the default store opens (and locks its directory).
  const cors = options.cors && corsMiddleware(options.cors)
  const requireAdmin = adminAuth(options.adminKey, options.adminAuthThrottle)
  const catalog = toCatalog(options.products)
  const storeRetryMs = options.storeRetryMs ?? DEFAULT_STORE_RETRY_MS
  if (!(storeRetryMs >= 0))
    throw new TypeError('createPayServer: storeRetryMs must be milliseconds, 0 or more.')
  const logger = options.logger ?? consoleLogger
  const store = options.store ?? pgliteStore('./.tma-pay')
  const initDataMaxAge = options.initDataMaxAgeSeconds ?? 86_400
  const expiryGraceMs = options.expiryGraceMs ?? 60_000
  const storeGate = createStoreGate(store, logger, storeRetryMs)

  const fulfillment = createFulfillmentWorker(
    store,
    {
      onPaid: options.onPaid,
      onRefunded: options.onRefunded,
      ...(options.refundDuplicatePurchases
        ? { onDuplicate: (order: Order) => refunds.refundDuplicate(order) }
        : {}),
    },
    logger,
    options.fulfillment,
  )
  let closed = false
  const drainFulfillment = () => {
    // The gate logs a store that is not there; the next payment or background tick drains instead.
    if (!closed)
      void storeGate.ready().then(
        () => fulfillment.drain(),
        () => {},
      )
  }

  let bot: ReturnType<typeof createTelegramBot>
  const orders = createOrderService({
    store,
    catalog,
    invoiceLink: createInvoiceLinkMaker({
      telegram: () => bot.api,
      ...(options.providerToken ? { providerToken: options.providerToken } : {}),
    }),
    orderTtlMs: options.orderTtlMs ?? 3_600_000,
    expiryGraceMs,
    processingTimeoutMs: options.processingTimeoutMs ?? 600_000,
    rateLimit: options.rateLimit ?? { max: 30, windowMs: 60_000 },
    idempotencyTakeoverMs: options.idempotencyTakeoverMs ?? 20_000,
  })
  const subscriptions = createSubscriptions({ store, orders, telegram: () => bot.api })
  const recordPayment = createPaymentRecorder({ store, logger, onPaymentApplied: drainFulfillment })
  const refunds = createRefunds({ store, telegram: () => bot.api, logger, onRefundApplied: drainFulfillment })
  bot = createTelegramBot({
    botToken: options.botToken,
    ...(options.apiRoot ? { apiRoot: options.apiRoot } : {}),
    ...(options.botInfo ? { botInfo: options.botInfo } : {}),
    store,
    catalog,
    orders,
    recordPayment,
    refunds,
    logger,
  })
  const reconciler = createReconciler(
    { store, telegram: () => bot.api, logger, recordPayment, refunds },
    options.reconcile || {},
  )
  const reconcile = async () => {
    await storeGate.ready()
    return reconciler.run()
  }
  let botReady: Promise<void> | undefined
  const initBot = () => {
    botReady ??= bot.init().catch((error) => {
      botReady = undefined
      throw error
    })
    return botReady
  }

  const app = new Hono<Env>().basePath(options.basePath ?? '')

  app.onError((error, c) => {
    if (error instanceof PayError) return errorResponse(error)
    // A database that went away after the start (postgres.js' ECONNREFUSED, CONNECTION_CLOSED, ...) is
    // worth a retry, not a bug: 503 with the code that says so.
    if (isStoreConnectionError(error)) {
      logger.error('store unavailable', { path: c.req.path, ...describeError(error) })
      return errorResponse(storeUnavailable(error))
    }
    logger.error('unhandled error', { path: c.req.path, ...describeError(error) })
    return errorResponse(new PayError('internal', 'Something went wrong on the pay server.'))
  })
  app.notFound((c) => errorResponse(new PayError('not_found', `No route ${c.req.method} ${c.req.path}.`)))
  if (cors) app.use(cors)
  app.use(
    bodyLimit({
      maxSize: options.maxBodyBytes ?? 65_536,
      onError: () => {
        const response = errorResponse(
          new PayError(
            'payload_too_large',
            `The body is larger than ${options.maxBodyBytes ?? 65_536} bytes.`,
          ),
        )
        // Answered before the body is read: the node adapter drains the unread rest for 500 ms, then cuts
        // the socket, and a keep-alive client's next request on it fails. So this connection ends here.
        response.headers.set('connection', 'close')
        return response
      },
    }),
  )
  app.use(async (_c, next) => {
    await storeGate.ready()
    await next()
  })

  const requireUser = async (c: Context<Env>, next: () => Promise<void>) => {
    c.set('user', authenticateInitData(c.req.header('authorization'), options.botToken, initDataMaxAge))
    await next()
  }

  app.get('/healthz', (c) => c.json({ ok: true }))
  app.get('/products', async (c) => c.json({ data: await catalog.list() }))

  app.post('/orders', requireUser, async (c) => {
    const idempotencyKey = parseIdempotencyKey(c.req.header('idempotency-key'))
    const body = parseCreateOrderBody(await readJson(c.req.raw))
    const { order, created } = await orders.createOrder(c.var.user, body, idempotencyKey)
    return c.json(order, created ? 201 : 200)
  })
  app.get('/orders', requireUser, async (c) => {
    const params = parseListQuery(c.req.query())
    return c.json(await store.listOrders({ ...params, userId: c.var.user.id }))
  })
  app.get('/orders/:id', requireUser, async (c) =>
    c.json(await orders.getOwnOrder(c.var.user, parseOrderId(c.req.param('id')))),
  )
  app.get('/orders/:id/timeline', requireUser, async (c) => {
    const order = await orders.getOwnOrder(c.var.user, parseOrderId(c.req.param('id')))
    return c.json({ orderId: order.id, events: await store.timeline(order.id) })
  })
  const changeHub = createOrderChangeHub(store, logger)
  const openStreams = new Set<() => void>()
  const streamsByUser = new Map<number, number>()
  const maxStreamsPerUser = options.maxStreamsPerUser ?? 10
  app.get('/orders/:id/stream', requireUser, async (c) => {
    // Owner only, and expired first if due, like GET /orders/:id.
    const order = await orders.getOwnOrder(c.var.user, parseOrderId(c.req.param('id')))
    // Each open stream holds a connection and re-reads on every heartbeat: one user may not hold many.
    const userId = c.var.user.id
    const open = streamsByUser.get(userId) ?? 0
    if (open >= maxStreamsPerUser)
      throw new PayError(
        'rate_limited',
        `Too many open order streams (${maxStreamsPerUser}) for this user: close one, or poll GET /orders/:id.`,
      )
    streamsByUser.set(userId, open + 1)
    const stream = orderStreamResponse({
      store,
      hub: changeHub,
      orderId: order.id,
      lastEventId: parseLastEventId(c.req.header('last-event-id') ?? c.req.query('last_event_id')),
      heartbeatMs: options.streamHeartbeatMs ?? 10_000,
      signal: c.req.raw.signal,
      logger,
    })
    openStreams.add(stream.close)
    void stream.done.then(() => {
      openStreams.delete(stream.close)
      const left = (streamsByUser.get(userId) ?? 1) - 1
      if (left > 0) streamsByUser.set(userId, left)
      else streamsByUser.delete(userId)
    })
    return stream.response
  })
  app.post('/orders/:id/client-status', requireUser, async (c) => {
    const status = parseClientStatusBody(await readJson(c.req.raw))
    return c.json(await orders.reportClientStatus(c.var.user, parseOrderId(c.req.param('id')), status))
  })
  app.get('/subscriptions', requireUser, async (c) => c.json({ data: await subscriptions.list(c.var.user) }))
  app.post('/orders/:id/subscription', requireUser, async (c) => {
    const canceled = parseSubscriptionBody(await readJson(c.req.raw))
    return c.json(await subscriptions.setCanceled(c.var.user, parseOrderId(c.req.param('id')), canceled))
  })

  // The shop owner's routes, behind requireAdmin: 404 without an adminKey, so nothing can guess a key.
  app.get('/admin/orders', requireAdmin, async (c) => {
    const query = c.req.query()
    const params = parseListQuery(query)
    const userId = parseUserIdQuery(query.user_id)
    return c.json(await store.listOrders({ ...params, ...(userId === undefined ? {} : { userId }) }))
  })
  app.get('/admin/orders/:id/timeline', requireAdmin, async (c) => {
    const order = await store.getOrder(parseOrderId(c.req.param('id')))
    if (!order) throw new PayError('not_found', `No order ${c.req.param('id')}.`)
    return c.json({ orderId: order.id, events: await store.timeline(order.id) })
  })
  app.post('/admin/orders/:id/refund', requireAdmin, async (c) => {
    const request = await parseRefundBody(c.req.raw)
    try {
      return c.json(await refunds.refundOrder(parseOrderId(c.req.param('id')), request))
    } finally {
      // Also after a 409 that found the charge refunded in Telegram: that wrote an order.refunded job too.
      drainFulfillment()
    }
  })

  app.post('/telegram/webhook', async (c) => {
    if (!sameSecret(c.req.header('x-telegram-bot-api-secret-token'), options.webhookSecret)) {
      throw new PayError(
        'unauthorized',
        'Wrong or missing X-Telegram-Bot-Api-Secret-Token: set the same secret in setWebhook.',
      )
    }
    const update = parseTelegramUpdate(await readJson(c.req.raw))
    await initBot()
    // A throw here answers 500, so Telegram delivers the update again: nothing is acknowledged unsaved.
    await bot.handleUpdate(update)
    return c.json({ ok: true })
  })

  async function runBackgroundWork() {
    await storeGate.ready()
    await orders.expireDue()
    await fulfillment.drain()
  }

  const intervalMs = options.backgroundIntervalMs ?? 5000
  const timer =
    intervalMs === false
      ? undefined
      : setInterval(() => {
          runBackgroundWork().catch((error) => {
            // A store that is not there is logged by the gate, at most once per retry.
            if (!(error instanceof PayError && error.code === 'store_unavailable'))
              logger.error('background work failed', describeError(error))
          })
        }, intervalMs)
  timer?.unref?.()
  // Jobs left by a previous run (a crash, a restart) are picked up at once, not at the first tick.
  drainFulfillment()

  // Payments whose webhook was lost while this server was down are found at start, then on a timer.
  const reconcileEveryMs =
    options.reconcile === false ? false : (options.reconcile?.intervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS)
  const reconcileInBackground = () => {
    // A failure is logged by the reconciler; the next tick tries again.
    if (!closed && !reconciler.busy) reconcile().catch(() => {})
  }
  const reconcileTimer =
    reconcileEveryMs === false ? undefined : setInterval(reconcileInBackground, reconcileEveryMs)
  reconcileTimer?.unref?.()
  if (options.reconcile !== false) reconcileInBackground()

  return {
    fetch: (request, env) => Promise.resolve(app.fetch(request, env)),
    app,
    store,
    get telegram() {
      return bot.api
    },
    runBackgroundWork,
    reconcile,
    async close() {
      closed = true
      if (timer) clearInterval(timer)
      for (const closeStream of openStreams) closeStream()
      await changeHub.close()
      if (reconcileTimer) clearInterval(reconcileTimer)
      await reconciler.stop()
      await fulfillment.stop()
      await storeGate.settled()
      await store.close()
    },
  }
}
