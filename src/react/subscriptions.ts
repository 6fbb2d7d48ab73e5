'use client'
// Managing a Stars subscription (cancel, re-enable), an entry point of its own (`tma-pay/react/subscriptions`), as
// the live stream and the other languages' labels are: an app that sells no subscription ships none of it.
// Whether a user has one is `useEntitlement(productId)` of `tma-pay/react`.
export { type UseSubscriptionResult, useSubscription } from './use-subscription'
