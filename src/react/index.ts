'use client'
export type {
  Checkout,
  Order,
  PayError,
  PayInput,
  PaymentResult,
  PaymentState,
  PendingPayment,
  Product,
  Subscription,
} from '../core'
export { formatPrice, labelsFor, type PayLabels, payLabels } from './labels'
export { PayButton, type PayButtonProduct, type PayButtonProps } from './PayButton'
export { PayProvider, type PayProviderProps, useCheckout } from './PayProvider'
export {
  type UseOrderOptions,
  type UseProductsOptions,
  useOrder,
  useOrders,
  useOrderTimeline,
  useProducts,
} from './queries'
export { type OrdersFilters, payKeys } from './queryKeys'
export { type MainButtonAdapter, type MainButtonParams, sdkMainButton, useTelegramLanguage } from './telegram'
export { type UsePaymentOptions, type UsePaymentResult, usePayment } from './usePayment'
export { type UsePendingPaymentResult, usePendingPayment } from './usePendingPayment'
export { type UseSubscriptionResult, useSubscription } from './useSubscription'
