import type { Order } from 'tma-pay'

type Status = Order['status']

const text: Record<Status, string> = {
  created: 'Created',
  pending: 'Invoice open',
  processing: 'Confirming',
  paid: 'Paid',
  failed: 'Failed',
  cancelled: 'Cancelled',
  expired: 'Expired',
  refunded: 'Refunded',
}

/** An order's status as the server has it (never what the Telegram client said). */
export function StatusBadge({ status }: { status: Status }) {
  return (
    <span className="badge" data-status={status} data-testid="status-badge">
      {text[status]}
    </span>
  )
}
