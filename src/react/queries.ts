'use client'
// The read hooks over the pay server's GET routes (React Query). The client already retries what is worth
// retrying (network trouble, 5xx), so none of them retries again.
import type { InfiniteData, UseInfiniteQueryResult, UseQueryResult } from '@tanstack/react-query'
import { isSettled, type Order, type OrderTimeline, type Page, type PayError, type Product } from '../core'
import { usePayContext } from './pay-provider'
import { useEffect, useInfiniteQuery, useQuery, useQueryClient } from './peers'
import { type OrdersFilters, payKeys } from './query-keys'

export interface UseProductsOptions {
  /** Set false to hold the query. Default true. */
  enabled?: boolean
}

/** The server's catalog (`GET /products`): prices come from here, never from the client. */
export function useProducts({
  enabled = true,
}: UseProductsOptions = {}): UseQueryResult<Product[], PayError> {
  const { checkout } = usePayContext('useProducts()')
  return useQuery({
    queryKey: payKeys.products(),
    retry: false,
    queryFn: ({ signal }) => checkout.client.listProducts({ signal }),
    enabled,
    // A catalog changes rarely; every PayButton on a page shares this one fetch.
    staleTime: 300_000,
  })
}

export interface UseOrderOptions {
  /**
   * Watch the order until it settles: over the server's live stream (`GET /orders/:id/stream`), whose
   * changes go straight into the query cache; if the stream fails, by polling with backoff (1 s growing
   * to 5 s). Refetches when the app becomes visible again. Settled orders (paid, failed, cancelled,
   * expired, refunded) are not watched. Default true.
   */
  live?: boolean
  /** Set false to hold the query (e.g. until an order id exists). Default true. */
  enabled?: boolean
}

// Until it settles; an order the server refuses to show (404, 401) is not asked for again and again.
const watching = ({ state }: { state: { data: Order | undefined; error: PayError | null } }) =>
  state.data ? !isSettled(state.data.status) : !state.error || state.error.retryable

/** The order as the server has it (React Query), watched until it settles. */
export function useOrder(
  orderId: string | null | undefined,
  { live = true, enabled = true }: UseOrderOptions = {},
): UseQueryResult<Order, PayError> {
  const { checkout } = usePayContext('useOrder()')
  const queryClient = useQueryClient()
  const query = useQuery({
    queryKey: payKeys.order(orderId ?? ''),
    queryFn: ({ signal }) => checkout.client.getOrder(orderId!, { signal }),
    enabled: enabled && !!orderId,
    retry: false,
    // React Query's focusManager listens to `visibilitychange`, which Telegram's WebViews fire when
    // the Mini App comes back from the background (or from the invoice sheet).
    refetchOnWindowFocus: live && watching,
  })
  const settled = !!query.data && isSettled(query.data.status)
  useEffect(() => {
    if (!live || !enabled || !orderId || settled) return
    const abort = new AbortController()
    // The stream (or polling, when there is none) feeds the cache; a refusal shows as the query's own error.
    checkout.client
      .watchOrder(orderId, (order) => queryClient.setQueryData(payKeys.order(orderId), order), abort)
      .catch(() => {})
    return () => abort.abort()
  }, [checkout, queryClient, orderId, live, enabled, settled])
  return query
}

/** The user's orders, newest first (`GET /orders`), a page at a time: `fetchNextPage()` while `hasNextPage`. */
export function useOrders(
  filters: OrdersFilters = {},
): UseInfiniteQueryResult<InfiniteData<Page<Order>, string | undefined>, PayError> {
  const { checkout } = usePayContext('useOrders()')
  return useInfiniteQuery({
    queryKey: payKeys.orders(filters),
    retry: false,
    queryFn: ({ pageParam, signal }) =>
      checkout.client.listOrders({ ...filters, startingAfter: pageParam }, { signal }),
    initialPageParam: undefined as string | undefined,
    // The cursor is the last order of the previous page.
    getNextPageParam: (page) => (page.hasMore ? page.data.at(-1)?.id : undefined),
  })
}

export interface UseOrderTimelineOptions {
  /** Set false to hold the query (e.g. until its panel opens). Default true. */
  enabled?: boolean
}

/** Every change of an order (`GET /orders/:id/timeline`); refetched when a payment of it settles. */
export function useOrderTimeline(
  orderId: string | null | undefined,
  { enabled = true }: UseOrderTimelineOptions = {},
): UseQueryResult<OrderTimeline, PayError> {
  const { checkout } = usePayContext('useOrderTimeline()')
  return useQuery({
    queryKey: payKeys.timeline(orderId ?? ''),
    retry: false,
    queryFn: ({ signal }) => checkout.client.getTimeline(orderId!, { signal }),
    enabled: enabled && !!orderId,
  })
}
