export { createPayServer, type PayServer } from './app'
export { authenticateInitData, type TelegramUser } from './auth'
export { type ProductCatalog, type ProductsOption, productProblems } from './catalog'
export type { FulfillmentContext, FulfillmentHandler, FulfillmentOptions, Logger } from './fulfillment'
export {
  createNotifier,
  NOTIFY_SIGNATURE_HEADER,
  type NotifierOptions,
  type PayNotification,
  signNotifyBody,
  verifyNotifySignature,
} from './notify'
export type { PayServerOptions } from './options'
export { pgliteStore } from './store/pglite'
export { type PostgresStoreOptions, postgresStore } from './store/postgres'
export type { PayStore } from './store/types'
