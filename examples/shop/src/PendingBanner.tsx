import { useState } from 'react'
import { labelsFor, usePendingPayment, useProducts } from 'tma-pay/react'

const labels = labelsFor('en')

/**
 * A payment the last visit left open (the Mini App closed or reloaded with the invoice up): resume it
 * (the server says how it ended, or the invoice opens again) or forget it.
 */
export function PendingBanner() {
  const { pending, hasPending, resume, discard, state } = usePendingPayment()
  const products = useProducts()
  const [closed, setClosed] = useState(false)
  if (state.status === 'idle' && !hasPending) return null
  if (closed && state.status !== 'idle') return null

  const productId = pending?.productId ?? ('order' in state ? state.order?.productId : undefined)
  const title = products.data?.find((product) => product.id === productId)?.title ?? productId ?? 'an order'
  const line = {
    idle: `You have an unfinished payment for ${title}.`,
    creating: labels.creating,
    awaiting_payment: labels.awaitingPayment,
    confirming: labels.confirming,
    paid: `${title}: ${labels.paid}`,
    cancelled: `${title}: ${labels.cancelled}`,
    expired: `${title}: ${labels.expired}`,
    failed: `${title}: ${labels.failed}${state.status === 'failed' ? `: ${state.error.message}` : ''}`,
  }[state.status]

  return (
    <div
      className="banner"
      role="status"
      aria-live="polite"
      data-testid="pending-banner"
      data-status={state.status}
    >
      <span data-testid="pending-banner-text">{line}</span>
      {state.status === 'idle' && (
        <span className="banner-actions">
          <button type="button" data-testid="pending-resume" onClick={() => void resume()}>
            Resume
          </button>
          <button type="button" className="secondary" data-testid="pending-discard" onClick={discard}>
            Discard
          </button>
        </span>
      )}
      {(state.status === 'paid' ||
        state.status === 'cancelled' ||
        state.status === 'expired' ||
        state.status === 'failed') && (
        <button type="button" className="secondary" onClick={() => setClosed(true)}>
          Close
        </button>
      )}
    </div>
  )
}
