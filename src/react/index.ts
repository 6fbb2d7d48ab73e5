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
} from '../core'
export { useCheckout } from './context'
export { formatPrice, labelsFor, type PayLabels, payLabels } from './labels'
export { type MainButtonAdapter, type MainButtonParams, sdkMainButton } from './main-button'
export { PayButton, type PayButtonProduct, type PayButtonProps } from './PayButton'
export { PayProvider, type PayProviderProps } from './PayProvider'
export { type OrdersFilters, payKeys } from './queryKeys'
export { useTelegramLanguage } from './telegram-language'
export { type UseOrderOptions, useOrder } from './useOrder'
export { useOrders } from './useOrders'
export { useOrderTimeline } from './useOrderTimeline'
export { type UsePaymentOptions, type UsePaymentResult, usePayment } from './usePayment'
export { type UsePendingPaymentResult, usePendingPayment } from './usePendingPayment'
export { type UseProductsOptions, useProducts } from './useProducts'
