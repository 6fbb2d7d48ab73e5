import type { Api, Context, MiddlewareFn } from 'grammy'
import type { Hono } from 'hono'
import type { Order } from '../core'
import type { SendInvoiceRequest } from './chat-invoices'
import type { ReconcileResult } from './reconcile'
import type { PayEnv } from './routes/context'
import type { PayStore } from './store/types'
import type { Polling, PollingOptions } from './telegram/bot'

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
  telegram: Api
  /**
   * grammY middleware for your own bot: `bot.use(pay.botMiddleware())`, before your handlers, on a webhook
   * (`webhookCallback`) or long polling (`bot.start()`, @grammyjs/runner). It answers the pre-checkout queries
   * and records the payments and refunds of tma-pay's own invoices (those whose payload names an order of this
   * server), by the same code as the built-in webhook route, once per payment however often Telegram delivers
   * it. Those updates stop here: your handlers never see them (thank the buyer in `onPaid`, which runs once per
   * order). Everything else goes on with `next()`: your commands, and the pre-checkouts and payments of
   * invoices tma-pay did not make, which your handlers still answer. A store failure throws (your webhook then
   * answers 500 and Telegram delivers the update again; with long polling, set `bot.catch`, or grammY stops).
   * Your bot must ask for `message` and `pre_checkout_query` updates: see `allowedUpdates()`.
   */
  botMiddleware<C extends Context = Context>(): MiddlewareFn<C>
  /**
   * Sends an order's invoice as a message in a chat (`sendInvoice`), e.g. from your bot's `/buy` command. The
   * order is like any other: the catalog's price, the rate limit, one per `idempotencyKey`, the same
   * pre-checkout checks and payment path, `onPaid`, the user's `GET /orders` and streams, refunds. Its
   * `invoiceUrl` is `''`. Rejects with a PayError (`validation_failed`, `product_not_found`, `rate_limited`,
   * `already_owned`, `telegram_error`, ...) before any message is sent when the request is wrong. Subscriptions
   * are sold by link only (Telegram's sendInvoice has no subscription period).
   */
  sendInvoice(request: SendInvoiceRequest): Promise<Order>
  /**
   * Takes the bot's updates by long polling (getUpdates) instead of the webhook route, for a server that owns the
   * bot and has no public URL (local development with a real bot). Removes the webhook first (Telegram refuses
   * getUpdates while one is set), then handles updates as the webhook route does, `forwardUpdates` included.
   * Resolves once polling runs. `close()` stops it too.
   */
  startPolling(options?: PollingOptions): Promise<Polling>
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
  /** Stops background work and polling, and closes the store. */
  close(): Promise<void>
}
