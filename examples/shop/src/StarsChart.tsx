import { useQuery } from '@tanstack/react-query'
import type { Order, PayError } from 'tma-pay'
import { type AdminApi, adminKeys } from './admin-api'

const days = 14
const dayMs = 86_400_000

/** A local calendar day as `YYYY-MM-DD`. */
export function dayKey(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
}

interface Day {
  key: string
  label: string
  /** Stars of orders paid that day and kept (status paid). */
  taken: number
  /** Stars of orders paid that day and refunded since. */
  refunded: number
}

/** Every paid and refunded order of the window, all pages (at most 20 pages of 100). */
async function ordersOfWindow(api: AdminApi, userId: number | undefined, signal: AbortSignal) {
  // paidAt comes after createdAt: an order is paid within its invoice's life (an hour by default), so a
  // day's margin finds every order paid in the window.
  const createdGte = new Date(Date.now() - (days + 1) * dayMs).toISOString()
  const orders: Order[] = []
  for (const status of ['paid', 'refunded'] as const) {
    let startingAfter: string | undefined
    for (let page = 0; page < 20; page++) {
      const result = await api.listOrders({ status, userId, limit: 100, startingAfter, createdGte }, signal)
      orders.push(...result.data)
      if (!result.hasMore || result.data.length === 0) break
      startingAfter = result.data.at(-1)!.id
    }
  }
  return orders
}

function toDays(orders: Order[], now = new Date()): Day[] {
  const list: Day[] = []
  for (let index = days - 1; index >= 0; index--) {
    const date = new Date(now.getFullYear(), now.getMonth(), now.getDate() - index)
    list.push({
      key: dayKey(date),
      label: date.toLocaleDateString('en', { month: 'short', day: 'numeric' }),
      taken: 0,
      refunded: 0,
    })
  }
  const byKey = new Map(list.map((day) => [day.key, day]))
  for (const order of orders) {
    if (order.currency !== 'XTR' || !order.paidAt) continue
    const day = byKey.get(dayKey(new Date(order.paidAt)))
    if (!day) continue
    if (order.status === 'paid') day.taken += order.amount
    else if (order.status === 'refunded') day.refunded += order.amount
  }
  return list
}

const dayLabel = (day: Day, today: string) =>
  `${day.label}${day.key === today ? ' (today)' : ''}: ⭐ ${day.taken} taken${
    day.refunded ? `, ⭐ ${day.refunded} refunded` : ''
  }`

const width = 28 * days
const height = 140
const top = 16
const bottom = 20

/**
 * Stars taken per day over the last 14 days, by the day each order was paid (local time). A bar is the Stars
 * kept: refunded orders are left out of it and drawn apart, as a hatched segment on top, so the bar's height
 * is what the shop still has.
 */
export function StarsChart({
  api,
  adminKey,
  userId,
}: {
  api: AdminApi
  adminKey: string
  userId: number | undefined
}) {
  const query = useQuery<Order[], PayError>({
    queryKey: adminKeys.stars(adminKey, userId),
    queryFn: ({ signal }) => ordersOfWindow(api, userId, signal),
    retry: false,
  })
  if (query.isPending) return <p className="muted">Loading the Stars chart…</p>
  if (query.isError)
    return (
      <p className="error" role="alert">
        Could not load the Stars chart: {query.error.message}
      </p>
    )

  const list = toDays(query.data)
  const totalTaken = list.reduce((sum, day) => sum + day.taken, 0)
  const totalRefunded = list.reduce((sum, day) => sum + day.refunded, 0)
  const max = Math.max(1, ...list.map((day) => day.taken + day.refunded))
  const scale = (height - top - bottom) / max
  const today = dayKey(new Date())
  const summary = `Stars taken per day, last ${days} days${userId === undefined ? '' : ` (user ${userId})`}: ⭐ ${totalTaken} kept, ⭐ ${totalRefunded} refunded`

  return (
    <figure className="stars-chart" data-testid="stars-chart">
      <figcaption>
        <span>Stars per day, last {days} days</span>{' '}
        <span className="muted" data-testid="stars-total">
          ⭐ {totalTaken} kept{totalRefunded > 0 ? `, ⭐ ${totalRefunded} refunded` : ''}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary}>
        <defs>
          <pattern
            id="stars-refunded"
            width="6"
            height="6"
            patternUnits="userSpaceOnUse"
            patternTransform="rotate(45)"
          >
            <rect className="stars-refunded-fill" width="3" height="6" />
          </pattern>
        </defs>
        <line className="stars-axis" x1="0" x2={width} y1={height - bottom} y2={height - bottom} />
        <g>
          {list.map((day, index) => {
            const x = index * 28 + 4
            const takenHeight = day.taken * scale
            const refundedHeight = day.refunded * scale
            const label = dayLabel(day, today)
            return (
              <g
                key={day.key}
                data-testid="stars-day"
                data-day={day.key}
                data-today={day.key === today ? 'true' : undefined}
                data-taken={day.taken}
                data-refunded={day.refunded}
              >
                <title>{label}</title>
                <rect
                  className="stars-bar"
                  x={x}
                  y={height - bottom - takenHeight}
                  width="20"
                  height={takenHeight}
                  rx="2"
                />
                {day.refunded > 0 && (
                  <rect
                    className="stars-bar-refunded"
                    x={x}
                    y={height - bottom - takenHeight - refundedHeight}
                    width="20"
                    height={refundedHeight}
                    fill="url(#stars-refunded)"
                  />
                )}
                {day.taken + day.refunded > 0 && (
                  <text
                    className="stars-value"
                    x={x + 10}
                    y={height - bottom - takenHeight - refundedHeight - 3}
                    textAnchor="middle"
                    aria-hidden
                  >
                    {day.taken}
                  </text>
                )}
                <text className="stars-day" x={x + 10} y={height - 6} textAnchor="middle" aria-hidden>
                  {day.key.slice(8)}
                </text>
              </g>
            )
          })}
        </g>
      </svg>
      {/* The figures for screen readers (the bars' titles are tooltips for the rest). */}
      <ol className="visually-hidden" data-testid="stars-days">
        {list.map((day) => (
          <li key={day.key} data-day={day.key}>
            {dayLabel(day, today)}
          </li>
        ))}
      </ol>
      <p className="muted stars-legend">
        <span className="stars-key stars-key-taken" aria-hidden /> Stars kept, by the day paid{' '}
        <span className="stars-key stars-key-refunded" aria-hidden /> refunded since (not counted)
      </p>
    </figure>
  )
}
