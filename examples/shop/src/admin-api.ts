// The pay server's admin routes, with plain fetch: they take the shop owner's key (`Authorization: Bearer`),
// not a Telegram user's init data, so they are not PayClient's. Every failure is a PayError with the server's
// code and message (401 for a wrong key, 409 for an order that cannot be refunded, 502 when Telegram refuses).
import {
  type Entitlement,
  type Order,
  type OrderStatus,
  type OrderTimeline,
  type Page,
  PayError,
  payErrorFromBody,
} from 'tma-pay'

export interface AdminListParams {
  status?: OrderStatus | undefined
  userId?: number | undefined
  /** 1..100. */
  limit?: number
  startingAfter?: string | undefined
  createdGte?: string | undefined
}

export interface AdminApi {
  /** `GET /admin/orders`: every user's orders, newest first. */
  listOrders(params: AdminListParams, signal?: AbortSignal): Promise<Page<Order>>
  /** `POST /admin/orders/:id/refund`: Telegram gives the Stars back; the refunded order. */
  refund(orderId: string, body?: { reason?: string; by?: string }): Promise<Order>
  /** `GET /admin/orders/:id/timeline`: the order's events, for any user's order. */
  timeline(orderId: string, signal?: AbortSignal): Promise<OrderTimeline>
  /** `GET /admin/users/:id/entitlements`: what a user owns, ended ones too. */
  entitlements(userId: number, signal?: AbortSignal): Promise<Entitlement[]>
  /** `POST /admin/users/:id/entitlements`: grants a non-consumable or a pass without a payment. */
  grant(userId: number, body: { productId: string; reason: string }): Promise<Entitlement>
  /** `POST /admin/users/:id/entitlements/:productId/revoke`. */
  revoke(userId: number, productId: string, reason: string): Promise<Entitlement>
}

export function createAdminApi(baseUrl: string, adminKey: string): AdminApi {
  const base = baseUrl.replace(/\/+$/, '')

  async function request<T>(method: string, path: string, body?: object, signal?: AbortSignal): Promise<T> {
    const response = await fetch(base + path, {
      method,
      headers: {
        authorization: `Bearer ${adminKey}`,
        ...(body && { 'content-type': 'application/json' }),
      },
      ...(body && { body: JSON.stringify(body) }),
      ...(signal && { signal }),
    }).catch((cause: unknown) => {
      if (signal?.aborted) throw cause
      throw new PayError('network_error', `Could not reach the pay server at ${base}.`, { cause })
    })
    const text = await response.text()
    let parsed: unknown = null
    try {
      parsed = JSON.parse(text)
    } catch {}
    if (!response.ok) throw payErrorFromBody(response.status, parsed)
    return parsed as T
  }

  const orderPath = (orderId: string) => `/admin/orders/${encodeURIComponent(orderId)}`

  return {
    listOrders(params, signal) {
      const query = new URLSearchParams()
      if (params.status) query.set('status', params.status)
      if (params.userId !== undefined) query.set('user_id', String(params.userId))
      if (params.limit !== undefined) query.set('limit', String(params.limit))
      if (params.startingAfter) query.set('starting_after', params.startingAfter)
      if (params.createdGte) query.set('created_gte', params.createdGte)
      const text = query.toString()
      return request('GET', `/admin/orders${text ? `?${text}` : ''}`, undefined, signal)
    },
    refund: (orderId, body = {}) => request('POST', `${orderPath(orderId)}/refund`, body),
    timeline: (orderId, signal) => request('GET', `${orderPath(orderId)}/timeline`, undefined, signal),
    entitlements: async (userId, signal) =>
      (
        await request<{ data: Entitlement[] }>(
          'GET',
          `/admin/users/${userId}/entitlements`,
          undefined,
          signal,
        )
      ).data,
    grant: (userId, body) => request('POST', `/admin/users/${userId}/entitlements`, body),
    revoke: (userId, productId, reason) =>
      request('POST', `/admin/users/${userId}/entitlements/${encodeURIComponent(productId)}/revoke`, {
        reason,
      }),
  }
}

/** React Query keys of the admin page; everything under `adminKeys.all` is refetched after a refund. */
export const adminKeys = {
  all: ['shop-admin'] as const,
  orders: (key: string, filters: { status?: OrderStatus | undefined; userId?: number | undefined }) =>
    ['shop-admin', key, 'orders', filters] as const,
  stars: (key: string, userId: number | undefined) => ['shop-admin', key, 'stars', userId ?? null] as const,
  timeline: (key: string, orderId: string) => ['shop-admin', key, 'timeline', orderId] as const,
  entitlements: (key: string, userId: number) => ['shop-admin', key, 'entitlements', userId] as const,
}

const storageKey = 'tma-pay-shop-admin-key'

/** The key the owner typed this session (sessionStorage: gone with the tab), if any. */
export function storedAdminKey(): string | undefined {
  try {
    return sessionStorage.getItem(storageKey) || undefined
  } catch {
    return undefined
  }
}

export function storeAdminKey(key: string | undefined): void {
  try {
    if (key) sessionStorage.setItem(storageKey, key)
    else sessionStorage.removeItem(storageKey)
  } catch {
    // Storage may be off (private mode): the key lasts until the page is left.
  }
}
