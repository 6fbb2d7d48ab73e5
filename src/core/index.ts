export {
  type CreateOrderOptions,
  createPayClient,
  newIdempotencyKey,
  type PayClient,
  type PayClientOptions,
  type RequestOptions,
} from './client'
export { isPayError, PayError, type PayErrorBody, type PayErrorCode, payErrorFromBody } from './errors'
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
