import { Api, type Context, type MiddlewareFn } from 'grammy'
import { Hono } from 'hono'
import type { Order } from '../core'
import { PayError } from '../core/errors'
import { adminAuth } from './admin-auth'
import { fastBodyLimit } from './body-limit'
import { toCatalog } from './catalog'
import { createChatInvoices } from './chat-invoices'
import { corsMiddleware } from './cors'
import { createEntitlements } from './entitlements'
import { errorResponse } from './errors'
import { createFulfillmentWorker } from './fulfillment'
import { createInvoiceLinkMaker } from './invoice-link'
import { type PayServerOptions, resolveOptions } from './options'
import { createOrderService } from './orders'
import type { PayServer } from './pay-server'
import { createPaymentRecorder } from './payments'
import { createReconciler } from './reconcile'
import { createRefunds } from './refunds'
import { adminRoutes } from './routes/admin'
import type { PayEnv, RouteServices } from './routes/context'
import { streamRoutes } from './routes/streams'
import { userRoutes } from './routes/user'
import { webhookRoutes } from './routes/webhook'
import { pgliteStore } from './store/pglite'
import { createStoreGate, describeError, isStoreConnectionError, storeUnavailable } from './store-gate'
import { createSubscriptions } from './subscriptions'
import { type AdoptedBot, type AppBot, adoptAppBot } from './telegram/app-bot'
import { createWebhookBot, type Polling, startPolling } from './telegram/bot'
import { createForwarder } from './telegram/forward'
import { createPayHandlers, createSoleConsumerHandlers } from './telegram/handlers'
import { allowedUpdates, DEFAULT_UPDATE_TYPES } from './telegram/update-types'

/** The server half of tma-pay: orders, invoices and Telegram's webhook, as one fetch handler. */
export function createPayServer(serverOptions: PayServerOptions): PayServer {
  return buildPayServer(serverOptions).server
}

/**
 * createPayServer, and (for `tma-pay serve --bot-module`) `useAppBot(bot)`: the app's own grammY bot takes the
 * updates of the webhook route and of startPolling() in place of the built-in bot. Call it before either runs.
 */
export function buildPayServer(serverOptions: PayServerOptions): {
  server: PayServer
  useAppBot(bot: AppBot): void
} {
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
    // A task later, behind what the payment's request still has to write (its 2xx, the streams' events): on
    // PGlite every query blocks the event loop. The gate logs a store that is not there; the next payment or
    // background tick drains instead.
    setTimeout(() => {
      if (!closed)
        void storeGate.ready().then(
          () => fulfillment.drain(),
          () => {},
        )
    }, 0)
  }
  // Every call tma-pay makes itself; the handlers answer pre-checkouts through the api of the bot running them.
  const api = new Api(options.botToken, { ...(options.apiRoot ? { apiRoot: options.apiRoot } : {}) })
  const telegram = () => api
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
  const { metrics } = options
  const recordPayment = createPaymentRecorder({
    store,
    logger,
    metrics,
    onPaymentApplied: drainFulfillment,
  })
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
  const handlerOptions = {
    store,
    catalog,
    orders,
    recordPayment,
    refunds,
    logger,
    metrics,
    ready: () => storeGate.ready(),
  }
  const handlers = createPayHandlers(handlerOptions)
  const botOptions = {
    ...options,
    handlers,
    soleConsumer: createSoleConsumerHandlers(handlerOptions),
    ...(options.forwardUpdates ? { forward: createForwarder(options.forwardUpdates, logger) } : {}),
  }
  const sendInvoice = createChatInvoices({
    catalog,
    orders,
    telegram,
    ...(options.providerToken ? { providerToken: options.providerToken } : {}),
  })
  const reconciler = createReconciler(
    { store, telegram, logger, metrics, recordPayment, refunds },
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
    sendInvoice,
  }
  const webhookBot = createWebhookBot(botOptions)
  let appBot: AdoptedBot | undefined
  let botReady: Promise<void> | undefined
  const initBot = () => {
    botReady ??= webhookBot.bot.init().catch((error) => {
      botReady = undefined
      throw error
    })
    return botReady
  }
  const pollings = new Set<Polling>()
  let pollingStarts = false

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
    fastBodyLimit({
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
  // Before the store's gate: metrics are read most when the store is down.
  const metricsResponse = metrics.response?.bind(metrics)
  if (metricsResponse) app.get('/admin/metrics', requireAdmin, () => metricsResponse())
  app.use(async (_c, next) => {
    await storeGate.ready()
    await next()
  })
  const streams = streamRoutes(services, logger)
  metrics.bind?.({
    outboxBacklog: async () => {
      await storeGate.ready()
      return store.outboxBacklog()
    },
    openStreams: streams.openCount,
  })
  app.route('/', userRoutes(services))
  app.route('/', streams.routes)
  app.route('/', adminRoutes(services, requireAdmin))
  if (options.webhookSecret)
    app.route(
      '/',
      webhookRoutes({
        webhookSecret: options.webhookSecret,
        metrics,
        handle: async (update) => {
          if (appBot) return appBot.handle(update)
          await initBot()
          return webhookBot.handle(update)
        },
        ...(botOptions.forward ? { forward: botOptions.forward } : {}),
      }),
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

  const server: PayServer = {
    fetch: (request, env) => Promise.resolve(app.fetch(request, env)),
    app,
    store,
    telegram: api,
    botMiddleware: <C extends Context>() => handlers.middleware() as MiddlewareFn<C>,
    sendInvoice: async (request) => (await sendInvoice(request)).order,
    async startPolling(pollingOptions = {}) {
      if (closed) throw new Error('startPolling: the pay server is closed.')
      // Telegram takes one getUpdates consumer per bot: a second one here would end the first with a 409.
      if (pollings.size > 0 || pollingStarts)
        throw new Error('startPolling: this server polls already; stop() that one first.')
      pollingStarts = true
      const polling = await startPolling({
        ...botOptions,
        ...(appBot ? { appBot } : {}),
        allowedUpdates:
          pollingOptions.allowedUpdates ??
          allowedUpdates(botOptions.forward || appBot ? DEFAULT_UPDATE_TYPES : []),
      }).finally(() => {
        pollingStarts = false
      })
      if (closed) {
        await polling.stop()
        throw new Error('startPolling: the pay server was closed while polling started.')
      }
      pollings.add(polling)
      void polling.done.then(
        () => pollings.delete(polling),
        () => pollings.delete(polling),
      )
      return polling
    },
    ready: () => storeGate.ready(),
    runBackgroundWork,
    reconcile,
    async close() {
      closed = true
      for (const polling of pollings) await polling.stop()
      if (timer) clearInterval(timer)
      await streams.close()
      if (reconcileTimer) clearInterval(reconcileTimer)
      await reconciler.stop()
      await fulfillment.stop()
      await storeGate.settled()
      await store.close()
    },
  }
  return {
    server,
    useAppBot(bot) {
      if (botOptions.forward)
        throw new TypeError(
          'useAppBot: the app’s own bot takes every update, so there is nothing to forward.',
        )
      if (appBot || pollings.size > 0 || pollingStarts)
        throw new Error('useAppBot: call it once, before the server polls or takes webhook calls.')
      appBot = adoptAppBot(bot, botOptions)
    },
  }
}
