export type {
  ClientInvoiceStatus,
  CreateOrderInput,
  ListOrdersParams,
  Order,
  OrderEvent,
  OrderStatus,
  OrderSubscription,
  OrderTimeline,
  Page,
  Product,
  TimelineSource,
} from './order'
export { ORDER_STATUSES } from './order'
export { acceptsPreCheckout, isPaidOrRefunded, isSettled, nextStatus, type OrderEventKind } from './status'
export { isPayError, PayError, type PayErrorBody, type PayErrorCode, payErrorFromBody } from './errors'
export {
  createPayClient,
  newIdempotencyKey,
  type CreateOrderOptions,
  type PayClient,
  type PayClientOptions,
  type RequestOptions,
} from './client'
