import { useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { isSettled } from 'tma-pay'
import { formatPrice, payKeys, useCheckout, useOrders } from 'tma-pay/react'
import { OrderDetails } from './OrderDetails'
import { StatusBadge } from './StatusBadge'

/** The user's orders, newest first, each opening to its timeline. */
export function OrderHistory() {
  const orders = useOrders({ limit: 10 })
  const [open, setOpen] = useState<string | null>(null)
  const list = orders.data?.pages.flatMap((page) => page.data) ?? []
  const unsettled = list.some((order) => !isSettled(order.status))
  useRefreshOrders(unsettled)

  return (
    <section aria-labelledby="orders-title" data-testid="order-history">
      <h2 id="orders-title">Your orders</h2>
      {orders.isPending && <p className="muted">Loading orders…</p>}
      {orders.isError && (
        <p className="error" role="alert">
          Could not load your orders: {orders.error.message}
        </p>
      )}
      {orders.isSuccess && list.length === 0 && <p className="muted">No orders yet.</p>}
      <ul className="orders">
        {list.map((order) => (
          <li key={order.id} data-testid="order" data-order-id={order.id} data-status={order.status}>
            <button
              type="button"
              className="order-row"
              aria-expanded={open === order.id}
              onClick={() => setOpen(open === order.id ? null : order.id)}
            >
              <span className="order-title">
                {order.title}
                {order.quantity > 1 ? ` × ${order.quantity}` : ''}
              </span>
              <span className="muted">{formatPrice(order.amount, order.currency)}</span>
              <StatusBadge status={order.status} />
            </button>
            {order.status === 'processing' && (
              <p className="muted waiting" data-testid="order-waiting">
                Waiting for Telegram to confirm the payment…
              </p>
            )}
            {order.status === 'refunded' && order.refundedAt && (
              <p className="muted waiting" data-testid="order-refunded">
                Refunded {new Date(order.refundedAt).toLocaleString()}: the Stars went back to you.
              </p>
            )}
            {open === order.id && <OrderDetails orderId={order.id} />}
          </li>
        ))}
      </ul>
      {orders.hasNextPage && (
        <button type="button" disabled={orders.isFetchingNextPage} onClick={() => orders.fetchNextPage()}>
          {orders.isFetchingNextPage ? 'Loading…' : 'More orders'}
        </button>
      )}
    </section>
  )
}

/**
 * Keeps the list current: payments settling refresh it already (usePayment invalidates the lists), but a
 * payment that just started, or an order still being confirmed, would otherwise sit there stale.
 */
function useRefreshOrders(unsettled: boolean) {
  const queryClient = useQueryClient()
  const { pendingStore } = useCheckout()
  useEffect(
    () => pendingStore.subscribe(() => void queryClient.invalidateQueries({ queryKey: payKeys.lists() })),
    [pendingStore, queryClient],
  )
  useEffect(() => {
    if (!unsettled) return
    const timer = setInterval(() => void queryClient.invalidateQueries({ queryKey: payKeys.lists() }), 2000)
    return () => clearInterval(timer)
  }, [unsettled, queryClient])
}
