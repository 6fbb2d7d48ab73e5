import { useEffect } from 'react'
import { useOrder, useOrderTimeline } from 'tma-pay/react'
import { StatusBadge } from './StatusBadge'

export const sourceText: Record<string, string> = {
  client: 'this app',
  telegram: 'Telegram',
  server: 'the server',
  admin: 'an admin',
  reconcile: 'reconciliation',
}

const time = (at: string) => new Date(at).toLocaleTimeString()

/** An opened order: the server's view of it, watched until it settles, and every change on its timeline. */
export function OrderDetails({ orderId }: { orderId: string }) {
  const order = useOrder(orderId)
  const timeline = useOrderTimeline(orderId)
  const status = order.data?.status
  const { refetch } = timeline
  // Each change of the order is a new event on its timeline.
  useEffect(() => {
    if (status) void refetch()
  }, [status, refetch])
  return (
    <div className="order-details" data-testid="order-details">
      <p className="muted">
        Order <code>{orderId}</code>
        {order.data?.paidAt ? `, paid at ${time(order.data.paidAt)}` : ''}
        {order.data?.refundedAt && (
          <span data-testid="order-refunded-at">, refunded at {time(order.data.refundedAt)}</span>
        )}
      </p>
      {timeline.isPending && <p className="muted">Loading the timeline…</p>}
      {timeline.isError && <p className="error">Could not load the timeline: {timeline.error.message}</p>}
      {timeline.data && (
        <ol className="timeline" data-testid="timeline">
          {timeline.data.events.map((event, index) => (
            <li key={`${event.at}-${index}`}>
              <StatusBadge status={event.status} /> <span className="muted">{time(event.at)}</span> by{' '}
              {sourceText[event.source] ?? event.source}
            </li>
          ))}
        </ol>
      )}
    </div>
  )
}
