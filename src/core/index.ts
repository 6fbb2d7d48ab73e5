export {
  type Checkout,
  type CheckoutOptions,
  createCheckout,
  createPaymentFlow,
  type PayInput,
  type PaymentController,
  type PaymentFlow,
  type PaymentListener,
  type PaymentSteps,
  withVanillaCalls,
} from './checkout'
export {
  type CreateOrderOptions,
  createPayClient,
  newIdempotencyKey,
  type OrderStreamReader,
  type PayClient,
  type PayClientOptions,
  type RequestOptions,
  type WatchOrderOptions,
} from './client'
export { isPayError, PayError, type PayErrorBody, type PayErrorCode, payErrorFromBody } from './errors'
export type {
  ClientInvoiceStatus,
  CreateOrderInput,
  Entitlement,
  EntitlementEvent,
  ListOrdersParams,
  Order,
  OrderEvent,
  OrderStatus,
  OrderSubscription,
  OrderTimeline,
  Page,
  Product,
  ProductKind,
  Subscription,
  TimelineSource,
} from './order'
export { ORDER_STATUSES } from './order'
export { isPaymentInFlight, type PaymentResult, type PaymentState, type PaymentStatus } from './payment-state'
export {
  createPendingPaymentStore,
  type PendingPayment,
  type PendingPaymentState,
  type PendingPaymentStore,
  type PendingPaymentStoreOptions,
} from './pending-payment'
export { resumePayment } from './resume'
export { isSettled } from './status'
export { type InvoiceOutcome, sdkTelegramBridge, type TelegramBridge } from './telegram-bridge'
export type { OrderEventKind } from './transitions'
