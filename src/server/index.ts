// The status machine: one table in src/core, used by the server to write orders.
export { ORDER_STATUSES } from '../core/order'
export { acceptsPreCheckout, isPaidOrRefunded, nextStatus, type OrderEventKind } from '../core/transitions'
export type { AdminAuthThrottle } from './admin-auth'
export { createPayServer } from './app'
export { authenticateInitData, type InitDataUser } from './auth'
export { type ProductCatalog, type ProductsOption, productProblems } from './catalog'
export type { SendInvoiceRequest } from './chat-invoices'
export type { CorsOptions, CorsOrigin } from './cors'
export { errorResponse } from './errors'
export type { FulfillmentContext, FulfillmentHandler, FulfillmentOptions } from './fulfillment'
export { consoleLogger, jsonLogger, type Logger, redactingLogger } from './logger'
export type { PayMetrics, PayMetricsSource, PaymentOutcome } from './metrics'
export {
  createNotifier,
  NOTIFY_SIGNATURE_HEADER,
  type NotifierOptions,
  type PayNotification,
  signNotifyBody,
  verifyNotifySignature,
} from './notify'
export type { PayServerOptions } from './options'
export type { PayServer } from './pay-server'
export { type PrometheusMetrics, type PrometheusMetricsOptions, prometheusMetrics } from './prometheus'
export type { ReconcileOptions, ReconcileResult } from './reconcile'
export { redactUrl } from './redact'
export { pgliteStore } from './store/pglite'
export { type PostgresStoreOptions, postgresStore } from './store/postgres'
export type { NotifiedOrderChange, OrderChange, PayStore } from './store/types'
export type { CreateServeBot, ServeBotOptions } from './telegram/app-bot'
export type { Polling, PollingOptions } from './telegram/bot'
export type { ForwardUpdatesOptions } from './telegram/forward'
export {
  allowedUpdates,
  DEFAULT_UPDATE_TYPES,
  PAY_UPDATE_TYPES,
  UPDATE_TYPES,
  type UpdateType,
} from './telegram/update-types'
