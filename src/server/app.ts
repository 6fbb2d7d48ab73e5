import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { Order } from '../core'
import { PayError } from '../core/errors'
import { adminAuth } from './admin-auth'
import { toCatalog } from './catalog'
import { corsMiddleware } from './cors'
import { createEntitlements } from './entitlements'
import { errorResponse } from './errors'
import { createFulfillmentWorker } from './fulfillment'
import { createInvoiceLinkMaker } from './invoice-link'
import { type PayServerOptions, resolveOptions } from './options'
import { createOrderService } from './orders'
import { createPaymentRecorder } from './payments'
import { createReconciler, type ReconcileResult } from './reconcile'
import { createRefunds } from './refunds'
import { adminRoutes } from './routes/admin'
import type { PayEnv, RouteServices } from './routes/context'
import { streamRoutes } from './routes/streams'
import { userRoutes } from './routes/user'
import { webhookRoutes } from './routes/webhook'
import { pgliteStore } from './store/pglite'
import type { PayStore } from './store/types'
import { createStoreGate, describeError, isStoreConnectionError, storeUnavailable } from './store-gate'
import { createSubscriptions } from './subscriptions'
import { createTelegramBot } from './telegram'

export interface PayServer {
  /**
   * The Web-standard handler: `serve({ fetch: pay.fetch })`, `app.mount('/api/pay', pay.fetch)`, Next.js
   * route handlers... The adapter's env goes through to the app (under @hono/node-server it tells the
   * client's address, which the admin key throttle counts by).
   */
  fetch: (request: Request, env?: unknown) => Promise<Response>
  /** The Hono app, to `app.route()` it into yours. */
  app: Hono<PayEnv>
  store: PayStore
  /** grammY's Bot API client, pointed at `apiRoot`. */
  telegram: ReturnType<typeof createTelegramBot>['api']
  /**
   * Resolves once the store is migrated and the server can answer; rejects with the real error (a
   * `store_unavailable` PayError whose `cause` is the database's) while it cannot. Await it in tests.
   */
  ready(): Promise<void>
  /** Runs expiry and due fulfilment now (what the background interval does). */
  runBackgroundWork(): Promise<void>
  /**
   * Reconciles with Telegram now (what the reconcile interval does): applies Stars payments and refunds in
   * `getStarTransactions` whose updates never arrived. Rejects, after logging, when Telegram fails.
   */
  reconcile(): Promise<ReconcileResult>
  /** Stops background work and closes the store. */
  close(): Promise<void>
}

/** The server half of tma-pay: orders, invoices and Telegram's webhook, as one fetch handler. */
export function createPayServer(serverOptions: PayServerOptions): PayServer {
  const options = resolveOptions(serverOptions)
  const { logger } = options
  // Checked first: a bad option throws before the default store opens (and locks its directory).
  const cors = options.cors && corsMiddleware(options.cors)
  const requireAdmin = adminAuth(options.adminKey, options.adminAuthThrottle)
  const catalog = toCatalog(options.products)
  const store = options.store ?? pgliteStore('./.tma-pay')
  const storeGate = createStoreGate(store, logger, options.storeRetryMs)

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
  const telegram = () => bot.api
  const orders = createOrderService({
    ...options,
    store,
    catalog,
    invoiceLink: createInvoiceLinkMaker({
      telegram,
      ...(options.providerToken ? { providerToken: options.providerToken } : {}),
    }),
  })
  const refunds = createRefunds({ store, telegram, logger, onRefundApplied: drainFulfillment })
  const recordPayment = createPaymentRecorder({ store, logger, onPaymentApplied: drainFulfillment })
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
  bot = createTelegramBot({ ...options, store, catalog, orders, recordPayment, refunds })
  const reconciler = createReconciler(
    { store, telegram, logger, recordPayment, refunds },
    options.reconcile || {},
  )
  const services: RouteServices = {
    options,
    store,
    catalog,
    orders,
    refunds,
    subscriptions: createSubscriptions({ store, orders, telegram }),
    entitlements: createEntitlements({ store, catalog }),
    drainFulfillment,
  }
  let botReady: Promise<void> | undefined
  const initBot = () => {
    botReady ??= bot.init().catch((error) => {
      botReady = undefined
      throw error
    })
    return botReady
  }

  const app = new Hono<PayEnv>().basePath(options.basePath)
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
  // Preflights first: before the body limit, auth and the wait for the store.
  if (cors) app.use(cors)
  app.use(
    bodyLimit({
      maxSize: options.maxBodyBytes,
      onError: () => {
        const response = errorResponse(
          new PayError('payload_too_large', `The body is larger than ${options.maxBodyBytes} bytes.`),
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
  const streams = streamRoutes(services, logger)
  app.route('/', userRoutes(services))
  app.route('/', streams.routes)
  app.route('/', adminRoutes(services, requireAdmin))
  app.route(
    '/',
    webhookRoutes(options.webhookSecret, () => bot, initBot),
  )

  async function runBackgroundWork() {
    await storeGate.ready()
    await orders.expireDue()
    await fulfillment.drain()
  }
  const timer =
    options.backgroundIntervalMs === false
      ? undefined
      : setInterval(() => {
          runBackgroundWork().catch((error) => {
            // A store that is not there is logged by the gate, at most once per retry.
            if (!(error instanceof PayError && error.code === 'store_unavailable'))
              logger.error('background work failed', describeError(error))
          })
        }, options.backgroundIntervalMs)
  timer?.unref?.()
  // Jobs left by a previous run (a crash, a restart) are picked up at once, not at the first tick.
  drainFulfillment()

  const reconcile = async () => {
    await storeGate.ready()
    return reconciler.run()
  }
  // Payments whose webhook was lost while this server was down are found at start, then on a timer.
  const reconcileInBackground = () => {
    // A failure is logged by the reconciler; the next tick tries again.
    if (!closed && !reconciler.busy) reconcile().catch(() => {})
  }
  const reconcileTimer =
    options.reconcileIntervalMs === false
      ? undefined
      : setInterval(reconcileInBackground, options.reconcileIntervalMs)
  reconcileTimer?.unref?.()
  if (options.reconcile !== false) reconcileInBackground()

  return {
    fetch: (request, env) => Promise.resolve(app.fetch(request, env)),
    app,
    store,
    get telegram() {
      return bot.api
    },
    ready: () => storeGate.ready(),
    runBackgroundWork,
    reconcile,
    async close() {
      closed = true
      if (timer) clearInterval(timer)
      await streams.close()
      if (reconcileTimer) clearInterval(reconcileTimer)
      await reconciler.stop()
      await fulfillment.stop()
      await storeGate.settled()
      await store.close()
    },
  }
}
