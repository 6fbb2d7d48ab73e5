'use client'
import type { ListOrdersParams } from '../core'

/** Filters of `useOrders`: those of `GET /orders` but the cursor, which the infinite query owns. */
export type OrdersFilters = Omit<ListOrdersParams, 'startingAfter'>

/** React Query keys of tma-pay, for `invalidateQueries`, `setQueryData` and prefetching. */
export const payKeys = {
  all: ['tma-pay'] as const,
  products: () => ['tma-pay', 'products'] as const,
  /** Every order list, whatever its filters. */
  lists: () => ['tma-pay', 'orders'] as const,
  orders: (filters: OrdersFilters = {}) => ['tma-pay', 'orders', filters] as const,
  /** The user's subscriptions: a list of orders too, so whatever refreshes the lists (a settled payment) refreshes it. */
  subscriptions: () => ['tma-pay', 'orders', 'subscriptions'] as const,
  /** What the user owns: under the lists too, so a settled payment refreshes it. */
  entitlements: () => ['tma-pay', 'orders', 'entitlements'] as const,
  order: (orderId: string) => ['tma-pay', 'order', orderId] as const,
  timeline: (orderId: string) => ['tma-pay', 'order', orderId, 'timeline'] as const,
}
