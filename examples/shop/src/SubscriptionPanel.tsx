import { useQueryClient } from '@tanstack/react-query'
import { type ReactNode, useEffect } from 'react'
import { type Product, payKeys } from 'tma-pay/react'
import { useSubscription } from 'tma-pay/react/subscriptions'

const day = (at: string) =>
  new Date(at).toLocaleDateString('en', { year: 'numeric', month: 'short', day: 'numeric' })

/**
 * A subscription product (Telegram Stars, renewed every 30 days): while the user's subscription runs, until
 * when and whether it renews, with Cancel or Re-enable; otherwise `buy` (the PayButton). A canceled
 * subscription stays active until the end of the period paid for.
 */
export function SubscriptionPanel({ product, buy }: { product: Product; buy: ReactNode }) {
  const { subscription, active, expiresAt, canceled, isLoading, error, cancel, reenable, isUpdating } =
    useSubscription(product.id)
  // Paid, but its end not known yet (the payment is still being recorded): asked again until it is.
  const undated = !!subscription && !subscription.expiresAt
  const queryClient = useQueryClient()
  useEffect(() => {
    if (!undated) return
    const timer = setInterval(
      () => void queryClient.invalidateQueries({ queryKey: payKeys.subscriptions() }),
      2000,
    )
    return () => clearInterval(timer)
  }, [undated, queryClient])
  if (isLoading) return <p className="muted">Checking your subscription…</p>
  // Not knowing whether the user subscribes already, the shop does not offer a second subscription.
  if (!subscription && error)
    return (
      <p className="error" role="alert">
        Could not check your subscription: {error.message}
      </p>
    )
  if (undated) return <p className="muted">Confirming your subscription…</p>
  if (!active || !expiresAt)
    return (
      <>
        {subscription?.expiresAt && (
          <p className="muted" data-testid="subscription-ended">
            Your pass ended on {day(subscription.expiresAt)}.
          </p>
        )}
        {buy}
      </>
    )
  return (
    <div
      className="subscription"
      data-testid="subscription"
      data-canceled={canceled}
      data-expires-at={expiresAt}
    >
      <p data-testid="subscription-status">
        <strong>
          {canceled ? `Canceled, active until ${day(expiresAt)}` : `Active until ${day(expiresAt)}`}
        </strong>
      </p>
      <p className="muted" data-testid="subscription-renewal">
        {canceled
          ? 'It will not renew: re-enable it to keep the pass after that date.'
          : `Renews on ${day(expiresAt)} for the same price; cancel any time.`}
      </p>
      <button
        type="button"
        className={canceled ? undefined : 'secondary'}
        data-testid={canceled ? 'subscription-reenable' : 'subscription-cancel'}
        disabled={isUpdating}
        aria-busy={isUpdating}
        onClick={() => void (canceled ? reenable() : cancel())}
      >
        {isUpdating ? 'Saving…' : canceled ? 'Re-enable' : 'Cancel subscription'}
      </button>
      {error && (
        <p className="error" role="alert" data-testid="subscription-error">
          {error.message}
        </p>
      )}
    </div>
  )
}
