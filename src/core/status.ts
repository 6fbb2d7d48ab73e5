import type { OrderStatus } from './order'

const settledStatuses: readonly OrderStatus[] = ['paid', 'failed', 'cancelled', 'expired', 'refunded']

/** Settled orders are final for a watching client: it stops polling or streaming. */
export function isSettled(status: OrderStatus): boolean {
  return settledStatuses.includes(status)
}
