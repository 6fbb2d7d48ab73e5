'use client'
import type { Order, PayError, Subscription } from '../core'
import { usePayContext } from './pay-provider'
import { useMutation, useQuery, useQueryClient } from './peers'
import { payKeys } from './query-keys'

export interface UseSubscriptionResult {
  /** The newest paid subscription to the product; `undefined` while loading or when there is none. */
  subscription: Subscription | undefined
  /** Paid and not expired; a canceled subscription stays active until `expiresAt`. */
  active: boolean
  /** End of the period paid for (ISO date). */
  expiresAt: string | undefined
  /** Renewals are off: the subscription ends at `expiresAt`. */
  canceled: boolean
  isLoading: boolean
  /** The last failure: loading the subscriptions, or a cancel / re-enable Telegram refused. */
  error: PayError | null
  /** Turns renewals off (Telegram's `editUserStarSubscription`). Resolves when done; a failure shows in `error`. */
  cancel: () => Promise<void>
  /** Turns renewals back on. Resolves when done; a failure shows in `error`. */
  reenable: () => Promise<void>
  /** True while a cancel or re-enable is under way. */
  isUpdating: boolean
}

const done = () => {}

/** The user's subscription to a product (`GET /subscriptions`), with `cancel` and `reenable`. */
export function useSubscription(productId: string): UseSubscriptionResult {
  const { checkout } = usePayContext('useSubscription()')
  const queryClient = useQueryClient()
  const query = useQuery<Subscription[], PayError>({
    queryKey: payKeys.subscriptions(),
    retry: false,
    queryFn: ({ signal }) => checkout.client.listSubscriptions({ signal }),
  })
  // Newest first: the first for the product is the current one (a refunded older one comes later).
  const subscription = query.data?.find((candidate) => candidate.productId === productId)
  const mutation = useMutation<Order, PayError, boolean>({
    mutationFn: (canceled) => checkout.client.setSubscriptionCanceled(subscription!.orderId, canceled),
    onSuccess(order) {
      queryClient.setQueryData(payKeys.order(order.id), order)
      // The subscriptions and every order list (they show the order's subscription too).
      return queryClient.invalidateQueries({ queryKey: payKeys.lists() })
    },
  })
  const set = (canceled: boolean) => mutation.mutateAsync(canceled).then(done, done)
  return {
    subscription,
    active: !!subscription?.active,
    expiresAt: subscription?.expiresAt,
    canceled: !!subscription?.canceled,
    isLoading: query.isLoading,
    error: mutation.error ?? query.error,
    cancel: () => set(true),
    reenable: () => set(false),
    isUpdating: mutation.isPending,
  }
}
