'use client'
import { type UseQueryResult, useQuery } from '@tanstack/react-query'
import type { PayError, Product } from '../core'
import { usePayContext } from './context'
import { payKeys } from './queryKeys'

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
    retry: false, // the client retries network trouble and 5xx itself
    queryFn: ({ signal }) => checkout.client.listProducts({ signal }),
    enabled,
    // A catalog changes rarely; every PayButton on a page shares this one fetch.
    staleTime: 300_000,
  })
}
