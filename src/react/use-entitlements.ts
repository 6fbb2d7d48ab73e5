'use client'
import type { UseQueryResult } from '@tanstack/react-query'
import type { Entitlement, PayError } from '../core'
import { usePayContext } from './pay-provider'
import { useQuery } from './peers'
import { payKeys } from './query-keys'

export interface UseEntitlementsOptions {
  /** Set false to hold the query. Default true. */
  enabled?: boolean
}

/**
 * What the user owns (`GET /entitlements`), from the server, the same on every device. Refetched after a payment
 * settles and when the app becomes visible again.
 */
export function useEntitlements({
  enabled = true,
}: UseEntitlementsOptions = {}): UseQueryResult<Entitlement[], PayError> {
  const { checkout } = usePayContext('useEntitlements()')
  return useQuery({
    queryKey: payKeys.entitlements(),
    retry: false,
    queryFn: ({ signal }) => checkout.client.listEntitlements({ signal }),
    enabled,
  })
}

export interface UseEntitlementResult {
  /** The user's entitlement to the product; undefined while loading, or when they never had it. */
  entitlement: Entitlement | undefined
  /** Owned now: not refunded or revoked, and not expired. */
  active: boolean
  /** When access ends (passes and subscriptions). */
  expiresAt: string | undefined
  isLoading: boolean
  error: PayError | null
}

/** Whether the user owns a product now (a non-consumable, an active pass or subscription). */
export function useEntitlement(productId: string, options?: UseEntitlementsOptions): UseEntitlementResult {
  const query = useEntitlements(options)
  const entitlement = query.data?.find((candidate) => candidate.productId === productId)
  return {
    entitlement,
    active: !!entitlement?.active,
    expiresAt: entitlement?.expiresAt,
    isLoading: query.isLoading,
    error: query.error,
  }
}
