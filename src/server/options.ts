import type { UserFromGetMe } from 'grammy/types'
import { type AdminAuthThrottle, checkAdminKey } from './admin-auth'
import type { ProductsOption } from './catalog'
import type { CorsOptions } from './cors'
import type { FulfillmentHandler, FulfillmentOptions } from './fulfillment'
import { consoleLogger, type Logger, redactingLogger } from './logger'
import type { PayMetrics } from './metrics'
import { DEFAULT_RECONCILE_INTERVAL_MS, type ReconcileOptions } from './reconcile'
import type { PayStore } from './store/types'
import { DEFAULT_STORE_RETRY_MS } from './store-gate'
import type { ForwardUpdatesOptions } from './telegram/forward'

export interface PayServerOptions {
  /** The bot's token from @BotFather; it signs init data and calls the Bot API. */
  botToken: string
  /**
   * Secret Telegram sends back as `X-Telegram-Bot-Api-Secret-Token` on every webhook call (setWebhook's
   * `secret_token`): 1-256 of A-Z a-z 0-9 _ -. Given, the server has its own webhook route, `POST
   * /telegram/webhook`, for a bot whose webhook points at tma-pay. Without it there is no such route: updates
   * reach tma-pay only through `pay.botMiddleware()` in your own bot (webhook or long polling), or
   * `pay.startPolling()`. Default: none.
   */
  webhookSecret?: string
  /**
   * With the webhook route (or `pay.startPolling()`): where updates tma-pay does not consume go, as Telegram
   * sent them, with `X-Telegram-Bot-Api-Secret-Token: secretToken`: your bot's own webhook. The route answers
   * Telegram with your webhook's status (and body), so Telegram's redelivery covers your bot being down.
   * tma-pay's own pre-checkouts and payments are never forwarded (`onPaid` tells you about those). Without it,
   * tma-pay answers the rest itself: a pre-checkout of an invoice it did not make is refused, other updates are
   * acknowledged and dropped. Default: none.
   */
  forwardUpdates?: ForwardUpdatesOptions
  /** The catalog: a list, `{ list, get }`, or an async lookup by id. Prices come only from here. */
  products: ProductsOption
  /** Where orders live. Default `pgliteStore('./.tma-pay')` (embedded). */
  store?: PayStore
  /**
   * Fulfils a paid order: runs once per order, retried with backoff until it returns without throwing. For a
   * subscription it runs for the first payment only; renewals show on the order's `subscription.expiresAt`. Default: none.
   */
  onPaid?: FulfillmentHandler
  /** Runs once per refunded order, retried like `onPaid`. Default: none. */
  onRefunded?: FulfillmentHandler
  /**
   * Refunds a duplicate purchase at once: a non-consumable paid on a second device while the first one's payment
   * already made it owned. Either way such an order stays on record, flagged (`duplicateOf`) on its timeline and
   * in the admin list, and runs no `onPaid`. Default false (the shop owner refunds it from the admin list).
   */
  refundDuplicatePurchases?: boolean
  /**
   * Answer tma-pay's pre-checkouts that come to the webhook route in the webhook's response (Telegram's "webhook
   * reply"), not by a separate `answerPreCheckoutQuery` call: one round trip to Telegram less on the way to the
   * charge, and the answer leaves as the update's handling ends. Telegram does not report on a call made this
   * way; one it refuses (past its 10 s) charges nothing, as an unanswered one. `false` makes the call instead,
   * and logs Telegram's refusals. Updates through `pay.botMiddleware()`, `startPolling()` or the app's own bot
   * always make the call. Default true.
   */
  preCheckoutWebhookReply?: boolean
  /** Bot API base URL: Telegram's test environment, a self-hosted Bot API server, or the simulator. Default `https://api.telegram.org`. */
  apiRoot?: string
  /** The bot as getMe returns it; given, the server never calls getMe. Default: fetched on the first update. */
  botInfo?: UserFromGetMe
  /** Path prefix the routes are served under, e.g. `/api/pay`. Default `''` (mount it where you like). */
  basePath?: string
  /** Oldest init data accepted, in seconds since its `auth_date`. Default 86400 (a day). */
  initDataMaxAgeSeconds?: number
  /** How long an unpaid order stays payable, in ms. Default 3600000 (an hour). */
  orderTtlMs?: number
  /** Extra time after `expiresAt` in which a pre-checkout is still approved (an invoice opened just in time), in ms. Default 60000. */
  expiryGraceMs?: number
  /**
   * How long an order whose pre-checkout Telegram approved (`processing`: the user is being charged) waits for
   * the payment before it may expire, in ms from the approval; the payment still pays it after. Default 600000.
   */
  processingTimeoutMs?: number
  /** Orders one user may create per window; `false` turns the limit off. Default `{ max: 30, windowMs: 60000 }`. */
  rateLimit?: { max: number; windowMs: number } | false
  /**
   * How long a creation may hold its `Idempotency-Key` without making its order (an instance that died
   * while Telegram made the invoice link) before a repeat with the same key and body takes the key over,
   * in ms. A slow original that finishes later then answers with the repeat's order, never a second one.
   * Default 20000.
   */
  idempotencyTakeoverMs?: number
  /** Largest request body accepted, in bytes. Default 65536. */
  maxBodyBytes?: number
  /** Payment provider token (BotFather → Payments) for products priced in a currency other than XTR. Default: none. */
  providerToken?: string
  /** Retry and lease timing of `onPaid`/`onRefunded`. */
  fulfillment?: FulfillmentOptions
  /** How often background work runs (expiry, due fulfilment retries), in ms; `false` runs none (call `pay.runBackgroundWork()` yourself). Default 5000. */
  backgroundIntervalMs?: number | false
  /**
   * Reconciliation with `getStarTransactions`: at start and then every `intervalMs`, Stars payments of the
   * last `lookbackMs` that no successful_payment webhook brought are applied as the webhook would
   * (timeline source `reconcile`, `onPaid` once). `pay.reconcile()` runs it at once. `false` runs it only
   * when you call `pay.reconcile()`. Default `{ intervalMs: 60000, pageSize: 100, lookbackMs: 604800000 }` (7 days).
   */
  reconcile?: ReconcileOptions | false
  /**
   * Key of the shop owner's routes (`GET /admin/orders`, `POST /admin/orders/:id/refund`), sent as
   * `Authorization: Bearer <adminKey>`; a wrong or missing key answers 401. At least 32 characters (make
   * one with `openssl rand -hex 32`), else createPayServer throws a TypeError. Default: none, and the admin
   * routes answer 404 as if they did not exist.
   */
  adminKey?: string
  /**
   * Wrong admin keys one client address may send within `windowMs` before the admin routes answer it
   * `429 rate_limited` (with `details.retryAfterSeconds`) for `blockMs`, the right key included. The
   * address is the socket's under @hono/node-server; elsewhere, and behind a reverse proxy, every client
   * shares one count. `false` turns it off. Default `{ maxFailures: 10, windowMs: 300000, blockMs: 300000 }`.
   */
  adminAuthThrottle?: AdminAuthThrottle | false
  /**
   * Browser origins other than the API's own that may call it (a Mini App served from another origin):
   * preflights and answers carry the CORS headers for them, and for no one else. Default: none.
   */
  cors?: CorsOptions
  /**
   * After a failed store migration (the database down at start), how long until a request tries it
   * again, in ms; meanwhile requests answer `503 store_unavailable`. Default 5000.
   */
  storeRetryMs?: number
  /** How often an open order stream sends a heartbeat comment (and re-reads the order, in case a notification was lost), in ms; well under a client's stall timeout. Default 10000. */
  streamHeartbeatMs?: number
  /** Order streams one user may hold open on this instance at once; past it `GET /orders/:id/stream` answers 429 and clients poll instead. Default 10. */
  maxStreamsPerUser?: number
  /** Where the server logs. Default: `console`, with a `[tma-pay]` prefix. */
  logger?: Logger
  /**
   * What the server reports as it works (payments by outcome, pre-checkout and webhook latency, reconciliation,
   * the outbox, open streams): `await prometheusMetrics()` for Prometheus, or instruments of your own.
   * Default: none.
   */
  metrics?: PayMetrics
}

/** The options with every default filled in, checked once: what the server's modules read. */
export type ResolvedOptions = ReturnType<typeof resolveOptions>

const WEBHOOK_SECRET = /^[A-Za-z0-9_-]{1,256}$/

/** Checks the options (a TypeError that says what to do) and fills in the defaults the JSDoc above gives. */
export function resolveOptions(options: PayServerOptions) {
  if (!options.botToken)
    throw new TypeError('createPayServer: botToken is required (from @BotFather, or the simulator).')
  if (options.webhookSecret !== undefined && !WEBHOOK_SECRET.test(options.webhookSecret))
    throw new TypeError(
      'createPayServer: webhookSecret must be 1-256 characters of A-Z a-z 0-9 _ - (Telegram sends it back on every webhook call); leave it out when updates come through pay.botMiddleware().',
    )
  checkAdminKey(options.adminKey)
  const storeRetryMs = options.storeRetryMs ?? DEFAULT_STORE_RETRY_MS
  if (!(storeRetryMs >= 0))
    throw new TypeError('createPayServer: storeRetryMs must be milliseconds, 0 or more.')
  return {
    ...options,
    // Whatever logs, no secret of these options reaches it (a bot token in a failed call's URL, say).
    logger: redactingLogger(options.logger ?? consoleLogger, [
      options.botToken,
      options.webhookSecret,
      options.adminKey,
      options.providerToken,
      options.forwardUpdates?.secretToken,
    ]),
    metrics: options.metrics ?? ({} as PayMetrics),
    basePath: options.basePath ?? '',
    initDataMaxAgeSeconds: options.initDataMaxAgeSeconds ?? 86_400,
    orderTtlMs: options.orderTtlMs ?? 3_600_000,
    expiryGraceMs: options.expiryGraceMs ?? 60_000,
    processingTimeoutMs: options.processingTimeoutMs ?? 600_000,
    rateLimit: options.rateLimit ?? { max: 30, windowMs: 60_000 },
    idempotencyTakeoverMs: options.idempotencyTakeoverMs ?? 20_000,
    maxBodyBytes: options.maxBodyBytes ?? 65_536,
    backgroundIntervalMs: options.backgroundIntervalMs ?? 5000,
    reconcileIntervalMs:
      options.reconcile === false
        ? (false as const)
        : (options.reconcile?.intervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS),
    storeRetryMs,
    streamHeartbeatMs: options.streamHeartbeatMs ?? 10_000,
    maxStreamsPerUser: options.maxStreamsPerUser ?? 10,
  }
}
