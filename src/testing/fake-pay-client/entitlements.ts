// What the fake's user owns, read off its orders with the server's rules (src/core): a non-consumable is owned
// by the first paid order until that order is refunded, a pass runs on from each purchase, a subscription is
// its newest paid order.
import type { Entitlement, Order, Product } from '../../core'
import { extendPass, kindOf, subscriptionOf } from '../../core/order-rules'

export function entitlementsOf(
  products: readonly Product[],
  ordersOldestFirst: readonly Order[],
): Entitlement[] {
  const now = Date.now()
  const owned = new Map<string, Entitlement>()
  for (const order of ordersOldestFirst) {
    const product = products.find((candidate) => candidate.id === order.productId)
    if (!product || !order.paidAt) continue
    const kind = kindOf(product)
    const current = owned.get(product.id)
    if (kind === 'non-consumable') {
      if (current?.active) continue
      owned.set(product.id, {
        productId: product.id,
        kind,
        active: order.status !== 'refunded',
        orderId: order.id,
        grantedAt: order.paidAt,
      })
    } else if (kind === 'pass') {
      const seconds = (product.durationSeconds ?? 0) * order.quantity
      if (order.status === 'refunded') {
        // Bought and refunded: the period it paid for comes off again.
        if (current?.expiresAt)
          current.expiresAt = new Date(Date.parse(current.expiresAt) - seconds * 1000).toISOString()
        continue
      }
      const pass = extendPass(current, seconds, Date.parse(order.paidAt))
      owned.set(product.id, {
        productId: product.id,
        kind,
        active: true,
        orderId: order.id,
        grantedAt: new Date(pass.grantedAt).toISOString(),
        expiresAt: new Date(pass.expiresAt).toISOString(),
      })
    } else if (kind === 'subscription' && order.subscription) {
      const { active, expiresAt } = subscriptionOf(order, now)
      owned.set(product.id, {
        productId: product.id,
        kind,
        active,
        orderId: order.id,
        grantedAt: order.paidAt,
        ...(expiresAt ? { expiresAt } : {}),
      })
    }
    const entitlement = owned.get(product.id)
    if (entitlement?.expiresAt && Date.parse(entitlement.expiresAt) <= now && kind === 'pass')
      entitlement.active = false
  }
  return [...owned.values()].map((entitlement) =>
    entitlement.kind === 'pass'
      ? { ...entitlement, active: Date.parse(entitlement.expiresAt!) > now }
      : entitlement,
  )
}
