'use client'
import { type UseQueryResult, useQuery } from '@tanstack/react-query'
import { isSettled, type Order, type PayError } from '../core'
import { usePayContext } from './context'
import { payKeys } from './queryKeys'

export interface UseOrderOptions {
  /**
   * Watch the order until it settles: poll with backoff (1 s growing to 5 s) and refetch when the app
   * becomes visible again. Settled orders (paid, failed, cancelled, expired, refunded) are not polled. Default true.
   */
  live?: boolean
  /** Set false to hold the query (e.g. until an order id exists). Default true. */
  enabled?: boolean
}

interface WatchedQuery {
  state: {
    data: Order | undefined
    error: PayError | null
    dataUpdateCount: number
    errorUpdateCount: number
  }
}

// Until it settles; an order the server refuses to show (404, 401) is not asked for again and again.
const watching = ({ state }: WatchedQuery) =>
  state.data ? !isSettled(state.data.status) : !state.error || state.error.retryable

// About 1 s, growing by half on every answer up to 5 s.
const backoff = (query: WatchedQuery) =>
  watching(query) &&
  Math.min(5000, 1000 * 1.5 ** (query.state.dataUpdateCount + query.state.errorUpdateCount - 1))

/** The order as the server has it (React Query), watched until it settles. */
export function useOrder(
  orderId: string | null | undefined,
  { live = true, enabled = true }: UseOrderOptions = {},
): UseQueryResult<Order, PayError> {
  const { checkout } = usePayContext('useOrder()')
  return useQuery({
    queryKey: payKeys.order(orderId ?? ''),
    queryFn: ({ signal }) => checkout.client.getOrder(orderId!, { signal }),
    enabled: enabled && !!orderId,
    // The client already retries what is worth retrying (network trouble, 5xx).
    retry: false,
    refetchInterval: live && backoff,
    // React Query's focusManager listens to `visibilitychange`, which Telegram's WebViews fire when
    // the Mini App comes back from the background (or from the invoice sheet).
    refetchOnWindowFocus: live && watching,
  })
}
