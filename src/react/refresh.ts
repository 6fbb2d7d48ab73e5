'use client'
import type { QueryClient } from '@tanstack/react-query'
import type { Order } from '../core'
import { payKeys } from './queryKeys'

/** After a payment settles: the order's cache gets the server's word, and lists and timeline refetch. */
export function refreshOrder(queryClient: QueryClient, order: Order | undefined): void {
  queryClient.invalidateQueries({ queryKey: payKeys.lists() })
  if (!order) return
  queryClient.setQueryData(payKeys.order(order.id), order)
  queryClient.invalidateQueries({ queryKey: payKeys.timeline(order.id) })
}
