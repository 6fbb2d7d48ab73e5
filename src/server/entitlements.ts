import type { Entitlement, EntitlementEvent } from '../core'
import { PayError } from '../core/errors'
import { orderErrors } from '../core/order-errors'
import { kindOf } from '../core/order-rules'
import type { ProductCatalog } from './catalog'
import type { PayStore } from './store/types'

export interface EntitlementsOptions {
  store: PayStore
  catalog: ProductCatalog
}

/** Why the shop owner changes an entitlement: on its timeline. */
export interface EntitlementReason {
  reason: string
  by?: string
}

/** What users own, and the shop owner's support tools: grant without a payment, revoke. */
export function createEntitlements({ store, catalog }: EntitlementsOptions) {
  const detailOf = ({ reason, by }: EntitlementReason) => ({ reason, ...(by ? { by } : {}) })
  return {
    list: (userId: number): Promise<Entitlement[]> => store.listEntitlements(userId),

    /**
     * Grants a non-consumable (owned until revoked), or a pass for `durationSeconds` (default the product's),
     * extended if it runs. Subscriptions are Telegram's to renew, and consumables the app's to credit.
     */
    async grant(
      userId: number,
      productId: string,
      why: EntitlementReason & { durationSeconds?: number },
    ): Promise<Entitlement> {
      const product = await catalog.get(productId)
      if (!product) throw orderErrors.productNotFound(productId)
      const kind = kindOf(product)
      if (kind !== 'non-consumable' && kind !== 'pass')
        throw new PayError(
          'invalid_state',
          `"${productId}" is a ${kind}: only non-consumables and passes are granted here (Telegram renews subscriptions; your app credits consumables).`,
          { details: { kind } },
        )
      const seconds = kind === 'pass' ? (why.durationSeconds ?? product.durationSeconds) : undefined
      const result = await store.grantEntitlement(userId, productId, kind, seconds, {
        source: 'admin',
        detail: detailOf(why),
      })
      return result.entitlement
    },

    async revoke(userId: number, productId: string, why: EntitlementReason): Promise<Entitlement> {
      const result = await store.revokeEntitlement(userId, productId, {
        source: 'admin',
        detail: detailOf(why),
      })
      if (!result) throw new PayError('not_found', `User ${userId} has never had "${productId}".`)
      return result.entitlement
    },

    timeline: (userId: number, productId: string): Promise<EntitlementEvent[]> =>
      store.entitlementTimeline(userId, productId),
  }
}

export type Entitlements = ReturnType<typeof createEntitlements>
