'use client'
import { type UseQueryResult, useQuery } from '@tanstack/react-query'
import type { OrderTimeline, PayError } from '../core'
import { usePayContext } from './context'
import { payKeys } from './queryKeys'

/** Every change of an order (`GET /orders/:id/timeline`); refetched when a payment of it settles. */
export function useOrderTimeline(
  orderId: string | null | undefined,
): UseQueryResult<OrderTimeline, PayError> {
  const { checkout } = usePayContext('useOrderTimeline()')
  return useQuery({
    queryKey: payKeys.timeline(orderId ?? ''),
    retry: false, // the client retries network trouble and 5xx itself
    queryFn: ({ signal }) => checkout.client.getTimeline(orderId!, { signal }),
    enabled: !!orderId,
  })
}
