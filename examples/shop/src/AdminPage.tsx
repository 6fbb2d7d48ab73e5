import {
  type InfiniteData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query'
import { type FormEvent, useMemo, useState } from 'react'
import { ORDER_STATUSES, type Order, type OrderStatus, type Page, type PayError } from 'tma-pay'
import { formatPrice, payKeys } from 'tma-pay/react'
import { type AdminApi, adminKeys, createAdminApi, storeAdminKey, storedAdminKey } from './admin-api'
import { sourceText } from './OrderDetails'
import { StarsChart } from './StarsChart'
import { StatusBadge } from './StatusBadge'
import { UserEntitlements } from './UserEntitlements'

const when = (at: string | undefined) => (at ? new Date(at).toLocaleString() : undefined)

export interface AdminPageProps {
  /** Where the pay server is mounted, e.g. `/api/pay`. */
  baseUrl: string
  /** The demo's key (on the simulator only, from the dev server); with a real bot the owner types it. */
  demoKey?: string | undefined
}

/**
 * The shop owner's page over the admin API: every user's orders, their timelines, refunds, and the Stars
 * taken per day. It needs the admin key (`tma-pay serve --admin-key`), kept in sessionStorage when typed.
 */
export function AdminPage({ baseUrl, demoKey }: AdminPageProps) {
  const [typedKey, setTypedKey] = useState(storedAdminKey)
  const [changing, setChanging] = useState(false)
  const adminKey = typedKey ?? demoKey
  const api = useMemo(() => (adminKey ? createAdminApi(baseUrl, adminKey) : undefined), [baseUrl, adminKey])

  const chooseKey = (key: string | undefined) => {
    storeAdminKey(key)
    setTypedKey(key)
    setChanging(false)
  }

  return (
    <section className="admin" aria-labelledby="admin-title" data-testid="admin-page">
      <p>
        <a href="#/">← Back to the shop</a>
      </p>
      <h2 id="admin-title">Shop admin: every order</h2>
      {adminKey && !changing ? (
        <p className="muted admin-key-line">
          {typedKey ? 'Using the admin key you entered.' : "Using the demo's admin key (simulator only)."}{' '}
          <button
            type="button"
            className="link-button"
            data-testid="admin-change-key"
            onClick={() => setChanging(true)}
          >
            Use another key
          </button>
          {typedKey && demoKey && (
            <>
              {' '}
              <button
                type="button"
                className="link-button"
                data-testid="admin-demo-key"
                onClick={() => chooseKey(undefined)}
              >
                Use the demo key
              </button>
            </>
          )}
        </p>
      ) : (
        <KeyForm onKey={chooseKey} onCancel={adminKey ? () => setChanging(false) : undefined} />
      )}
      {api && adminKey && !changing && <AdminOrders api={api} adminKey={adminKey} />}
    </section>
  )
}

function KeyForm({ onKey, onCancel }: { onKey: (key: string) => void; onCancel?: (() => void) | undefined }) {
  const [value, setValue] = useState('')
  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (value.trim()) onKey(value.trim())
  }
  return (
    <form className="admin-key" onSubmit={submit} data-testid="admin-key-form">
      <label>
        Admin key{' '}
        <input
          type="password"
          autoComplete="off"
          value={value}
          onChange={(event) => setValue(event.target.value)}
          data-testid="admin-key-input"
        />
      </label>
      <button type="submit" data-testid="admin-key-submit" disabled={!value.trim()}>
        Use this key
      </button>
      {onCancel && (
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      )}
      <span className="muted">
        The pay server's <code>--admin-key</code> (<code>TMA_PAY_ADMIN_KEY</code>); kept in this tab only.
      </span>
    </form>
  )
}

function AdminOrders({ api, adminKey }: { api: AdminApi; adminKey: string }) {
  const [status, setStatus] = useState<OrderStatus | undefined>()
  const [userText, setUserText] = useState('')
  const userId = /^\d{1,15}$/.test(userText.trim()) ? Number(userText.trim()) : undefined
  const orders = useInfiniteQuery<
    Page<Order>,
    PayError,
    InfiniteData<Page<Order>, string | undefined>,
    ReturnType<typeof adminKeys.orders>,
    string | undefined
  >({
    queryKey: adminKeys.orders(adminKey, { status, userId }),
    queryFn: ({ pageParam, signal }) =>
      api.listOrders({ status, userId, limit: 20, startingAfter: pageParam }, signal),
    initialPageParam: undefined,
    getNextPageParam: (last) => (last.hasMore ? last.data.at(-1)?.id : undefined),
    retry: false,
  })
  const list = orders.data?.pages.flatMap((page) => page.data) ?? []
  const total = orders.data?.pages[0]?.totalCount

  if (orders.isError && orders.error.status === 401)
    return (
      <p className="error" role="alert" data-testid="admin-error">
        The pay server refused the key: {orders.error.message}
      </p>
    )

  return (
    <>
      <div className="admin-filters">
        <label>
          Status{' '}
          <select
            value={status ?? ''}
            data-testid="admin-status-filter"
            onChange={(event) => setStatus((event.target.value || undefined) as OrderStatus | undefined)}
          >
            <option value="">all</option>
            {ORDER_STATUSES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <label>
          User id{' '}
          <input
            inputMode="numeric"
            placeholder="any"
            size={10}
            value={userText}
            data-testid="admin-user-filter"
            onChange={(event) => setUserText(event.target.value)}
          />
        </label>
      </div>
      <StarsChart api={api} adminKey={adminKey} userId={userId} />
      {userId !== undefined && <UserEntitlements api={api} adminKey={adminKey} userId={userId} />}
      {orders.isPending && <p className="muted">Loading orders…</p>}
      {orders.isError && (
        <p className="error" role="alert" data-testid="admin-error">
          Could not load the orders: {orders.error.message}
        </p>
      )}
      {total !== undefined && (
        <p className="muted" data-testid="admin-total">
          {total === 1 ? '1 order' : `${total} orders`}
          {status ? ` ${status}` : ''}
          {userId === undefined ? '' : ` of user ${userId}`}
        </p>
      )}
      <ul className="orders">
        {list.map((order) => (
          <AdminOrderRow key={order.id} order={order} api={api} adminKey={adminKey} />
        ))}
      </ul>
      {orders.hasNextPage && (
        <button
          type="button"
          className="load-more"
          data-testid="admin-load-more"
          disabled={orders.isFetchingNextPage}
          onClick={() => orders.fetchNextPage()}
        >
          {orders.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      )}
    </>
  )
}

function AdminOrderRow({ order, api, adminKey }: { order: Order; api: AdminApi; adminKey: string }) {
  const queryClient = useQueryClient()
  const [open, setOpen] = useState(false)
  const [confirming, setConfirming] = useState(false)
  const refund = useMutation<Order, PayError>({
    mutationFn: () =>
      api.refund(order.id, { reason: "Refunded from the shop's admin page", by: 'shop admin' }),
    onSuccess: (refunded) => {
      setConfirming(false)
      // The row shows the refunded order at once; then every admin list, chart and timeline is fetched again,
      // and so is the user's side (the same tab's history, if open).
      queryClient.setQueriesData<InfiniteData<Page<Order>>>({ queryKey: adminKeys.all }, (data) =>
        data?.pages
          ? {
              ...data,
              pages: data.pages.map((page) => ({
                ...page,
                data: page.data.map((item) => (item.id === refunded.id ? refunded : item)),
              })),
            }
          : data,
      )
      void queryClient.invalidateQueries({ queryKey: adminKeys.all })
      void queryClient.invalidateQueries({ queryKey: payKeys.all })
    },
  })
  const refundable = order.status === 'paid' && order.currency === 'XTR'
  const price = formatPrice(order.amount, order.currency)

  return (
    <li className="admin-order" data-testid="admin-order" data-order-id={order.id} data-status={order.status}>
      <div className="admin-order-head">
        <span className="order-title">
          {order.title}
          {order.quantity > 1 ? ` × ${order.quantity}` : ''}{' '}
          <span className="muted">({order.productId})</span>
        </span>
        <span className="muted" data-testid="admin-order-amount">
          {price}
          {order.currency === 'XTR' ? '' : ` ${order.currency}`}
        </span>
        <StatusBadge status={order.status} />
        {order.duplicateOf && (
          <span
            className="badge duplicate"
            data-testid="admin-order-duplicate"
            title={`Owned by ${order.duplicateOf} already`}
          >
            duplicate purchase
          </span>
        )}
      </div>
      <dl className="admin-facts">
        <dt>User</dt>
        <dd data-testid="admin-order-user">{order.userId}</dd>
        <dt>Created</dt>
        <dd>{when(order.createdAt)}</dd>
        {order.paidAt && (
          <>
            <dt>Paid</dt>
            <dd data-testid="admin-order-paid-at">{when(order.paidAt)}</dd>
          </>
        )}
        {order.refundedAt && (
          <>
            <dt>Refunded</dt>
            <dd data-testid="admin-order-refunded-at">{when(order.refundedAt)}</dd>
          </>
        )}
      </dl>
      <div className="admin-actions">
        <button
          type="button"
          className="secondary"
          aria-expanded={open}
          data-testid="admin-timeline-toggle"
          onClick={() => setOpen(!open)}
        >
          {open ? 'Hide timeline' : 'Timeline'}
        </button>
        {refundable && !confirming && (
          <button
            type="button"
            className="danger"
            data-testid="admin-refund"
            onClick={() => {
              refund.reset()
              setConfirming(true)
            }}
          >
            Refund
          </button>
        )}
      </div>
      {refundable && confirming && (
        <div className="admin-confirm" data-testid="admin-confirm">
          <span>
            Give {price} back to user {order.userId}? Telegram returns the Stars; this cannot be undone.
          </span>
          <button
            type="button"
            className="danger"
            data-testid="admin-refund-confirm"
            disabled={refund.isPending}
            aria-busy={refund.isPending}
            onClick={() => refund.mutate()}
          >
            {refund.isPending ? 'Refunding…' : `Refund ${price}`}
          </button>
          <button
            type="button"
            className="secondary"
            data-testid="admin-refund-keep"
            disabled={refund.isPending}
            onClick={() => setConfirming(false)}
          >
            Keep it
          </button>
        </div>
      )}
      {refund.isError && (
        <p className="error" role="alert" data-testid="admin-refund-error">
          Refund failed ({refund.error.code}): {refund.error.message}
        </p>
      )}
      {open && <AdminTimeline api={api} adminKey={adminKey} orderId={order.id} status={order.status} />}
    </li>
  )
}

function AdminTimeline({
  api,
  adminKey,
  orderId,
  status,
}: {
  api: AdminApi
  adminKey: string
  orderId: string
  status: OrderStatus
}) {
  const timeline = useQuery({
    // The status is in the key: a refund (or a late payment) is a new event to fetch.
    queryKey: [...adminKeys.timeline(adminKey, orderId), status],
    queryFn: ({ signal }) => api.timeline(orderId, signal),
    retry: false,
  })
  return (
    <div className="order-details" data-testid="admin-timeline">
      {timeline.isPending && <p className="muted">Loading the timeline…</p>}
      {timeline.isError && (
        <p className="error" role="alert">
          Could not load the timeline: {timeline.error.message}
        </p>
      )}
      {timeline.data && (
        <ol className="timeline" data-testid="timeline">
          {timeline.data.events.map((event, index) => (
            <li key={`${event.at}-${index}`}>
              <StatusBadge status={event.status} /> <span className="muted">{when(event.at)}</span> by{' '}
              {sourceText[event.source] ?? event.source}
              {typeof event.detail.reason === 'string' && (
                <span className="muted">: {event.detail.reason}</span>
              )}
            </li>
          ))}
        </ol>
      )}
    </div>
  )
}
