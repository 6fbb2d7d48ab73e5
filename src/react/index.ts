'use client'
export type {
  Checkout,
  Entitlement,
  Order,
  PayError,
  PayInput,
  PaymentResult,
  PaymentState,
  PendingPayment,
  Product,
  Subscription,
} from '../core'
export { enLabels, formatPrice, labelsFor, type PayLabels, type PayTranslations } from './labels'
export { PayButton, type PayButtonProduct, type PayButtonProps } from './pay-button'
export { PayProvider, type PayProviderProps, useCheckout } from './pay-provider'
export {
  type UseOrderOptions,
  type UseOrderTimelineOptions,
  type UseProductsOptions,
  useOrder,
  useOrders,
  useOrderTimeline,
  useProducts,
} from './queries'
export { type OrdersFilters, payKeys } from './query-keys'
export { type MainButtonAdapter, type MainButtonParams, sdkMainButton, useTelegramLanguage } from './telegram'
export {
  type UseEntitlementResult,
  type UseEntitlementsOptions,
  useEntitlement,
  useEntitlements,
} from './use-entitlements'
export { type UsePaymentOptions, type UsePaymentResult, usePayment } from './use-payment'
export { type UsePendingPaymentResult, usePendingPayment } from './use-pending-payment'
