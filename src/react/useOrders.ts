'use client'
import { type InfiniteData, type UseInfiniteQueryResult, useInfiniteQuery } from '@tanstack/react-query'
import type { Order, Page, PayError } from '../core'
import { usePayContext } from './context'
import { type OrdersFilters, payKeys } from './queryKeys'

/** The user's orders, newest first (`GET /orders`), a page at a time: `fetchNextPage()` while `hasNextPage`. */
export function useOrders(
  filters: OrdersFilters = {},
): UseInfiniteQueryResult<InfiniteData<Page<Order>, string | undefined>, PayError> {
  const { checkout } = usePayContext('useOrders()')
  return useInfiniteQuery({
    queryKey: payKeys.orders(filters),
    retry: false, // the client retries network trouble and 5xx itself
    queryFn: ({ pageParam, signal }) =>
      checkout.client.listOrders({ ...filters, startingAfter: pageParam }, { signal }),
    initialPageParam: undefined as string | undefined,
    // The cursor is the last order of the previous page.
    getNextPageParam: (page) => (page.hasMore ? page.data.at(-1)?.id : undefined),
  })
}
