import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import type { Entitlement, PayError } from 'tma-pay'
import { useProducts } from 'tma-pay/react'
import { type AdminApi, adminKeys } from './admin-api'

const when = (at: string) => new Date(at).toLocaleString()

/**
 * What one user owns, for the shop owner: each entitlement with its state, and the support tools: grant a
 * non-consumable or a pass without a payment, or revoke one. The reason goes on the entitlement's timeline.
 */
export function UserEntitlements({
  api,
  adminKey,
  userId,
}: {
  api: AdminApi
  adminKey: string
  userId: number
}) {
  const queryClient = useQueryClient()
  const products = useProducts()
  const ownable = (products.data ?? []).filter(
    (product) => product.kind === 'non-consumable' || product.kind === 'pass',
  )
  const entitlements = useQuery<Entitlement[], PayError>({
    queryKey: adminKeys.entitlements(adminKey, userId),
    queryFn: ({ signal }) => api.entitlements(userId, signal),
    retry: false,
  })
  const refresh = () => queryClient.invalidateQueries({ queryKey: adminKeys.all })
  const grant = useMutation<Entitlement, PayError, { productId: string; reason: string }>({
    mutationFn: (body) => api.grant(userId, body),
    onSuccess: refresh,
  })
  const revoke = useMutation<Entitlement, PayError, string>({
    mutationFn: (productId) => api.revoke(userId, productId, 'revoked from the admin page'),
    onSuccess: refresh,
  })
  const [productId, setProductId] = useState('')
  const [reason, setReason] = useState('')
  const submit = (event: FormEvent) => {
    event.preventDefault()
    const chosen = productId || ownable[0]?.id
    if (chosen && reason.trim()) grant.mutate({ productId: chosen, reason: reason.trim() })
  }
  const error = entitlements.error ?? grant.error ?? revoke.error

  return (
    <section className="entitlements" aria-labelledby="entitlements-title" data-testid="admin-entitlements">
      <h3 id="entitlements-title">What user {userId} owns</h3>
      {entitlements.isPending && <p className="muted">Loading…</p>}
      {error && (
        <p className="error" role="alert">
          {error.message}
        </p>
      )}
      {entitlements.data?.length === 0 && <p className="muted">Nothing yet.</p>}
      <ul>
        {entitlements.data?.map((entitlement) => (
          <li key={entitlement.productId} data-testid={`entitlement-${entitlement.productId}`}>
            <strong>{entitlement.productId}</strong> ({entitlement.kind}):{' '}
            <span data-testid="entitlement-state">{entitlement.active ? 'active' : 'ended'}</span>
            {entitlement.expiresAt && <span className="muted"> until {when(entitlement.expiresAt)}</span>}
            <span className="muted">
              {' '}
              {entitlement.orderId ? `paid by ${entitlement.orderId}` : 'granted'}
            </span>
            {entitlement.active && entitlement.kind !== 'subscription' && (
              <button
                type="button"
                className="secondary"
                disabled={revoke.isPending}
                data-testid={`revoke-${entitlement.productId}`}
                onClick={() => revoke.mutate(entitlement.productId)}
              >
                Revoke
              </button>
            )}
          </li>
        ))}
      </ul>
      <form className="grant" onSubmit={submit}>
        <label>
          Grant{' '}
          <select
            value={productId}
            onChange={(event) => setProductId(event.target.value)}
            data-testid="grant-product"
          >
            {ownable.map((product) => (
              <option key={product.id} value={product.id}>
                {product.title}
              </option>
            ))}
          </select>
        </label>{' '}
        <input
          placeholder="reason (a support ticket…)"
          value={reason}
          onChange={(event) => setReason(event.target.value)}
          data-testid="grant-reason"
        />{' '}
        <button type="submit" disabled={!reason.trim() || grant.isPending} data-testid="grant-submit">
          Grant
        </button>
      </form>
    </section>
  )
}
