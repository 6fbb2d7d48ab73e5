import { type ClientInvoiceStatus, type ListOrdersParams, type OrderStatus, PayError } from '../core'
import { ORDER_STATUSES } from '../core/order'

// Untrusted input becomes typed values here, at the edge; everything past this point trusts its types.

const fail = (message: string, details?: unknown): never => {
  throw new PayError('validation_failed', message, details === undefined ? {} : { details })
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

export interface CreateOrderBody {
  productId: string
  quantity: number
  metadata: Record<string, string>
}

const METADATA_MAX_KEYS = 20
const METADATA_KEY_MAX = 40
const METADATA_VALUE_MAX = 500

/** `{ productId, quantity?, metadata? }`. Other fields (an `amount`, say) are ignored: prices come from the catalog. */
export function parseCreateOrderBody(body: unknown): CreateOrderBody {
  if (!isObject(body))
    return fail('The body must be a JSON object: { "productId": "...", "quantity"?: 1, "metadata"?: {} }.')
  const { productId, quantity = 1, metadata = {} } = body
  if (typeof productId !== 'string' || productId.length < 1 || productId.length > 64)
    fail('productId must be a string of 1-64 characters.', { field: 'productId' })
  if (typeof quantity !== 'number' || !Number.isSafeInteger(quantity) || quantity < 1)
    fail('quantity must be a positive integer.', { field: 'quantity' })
  if (!isObject(metadata)) return fail('metadata must be an object of string values.', { field: 'metadata' })
  const entries = Object.entries(metadata)
  if (entries.length > METADATA_MAX_KEYS)
    fail(`metadata takes at most ${METADATA_MAX_KEYS} keys.`, { field: 'metadata' })
  for (const [key, value] of entries) {
    if (key.length < 1 || key.length > METADATA_KEY_MAX)
      fail(`metadata keys must be 1-${METADATA_KEY_MAX} characters.`, { field: `metadata.${key}` })
    if (typeof value !== 'string' || value.length > METADATA_VALUE_MAX)
      fail(`metadata values must be strings of at most ${METADATA_VALUE_MAX} characters.`, {
        field: `metadata.${key}`,
      })
  }
  return {
    productId: productId as string,
    quantity: quantity as number,
    metadata: metadata as Record<string, string>,
  }
}

const clientStatuses: readonly ClientInvoiceStatus[] = ['paid', 'cancelled', 'failed', 'pending']

export function parseClientStatusBody(body: unknown): ClientInvoiceStatus {
  const status = isObject(body) ? body.status : undefined
  if (typeof status !== 'string' || !clientStatuses.includes(status as ClientInvoiceStatus))
    fail(`status must be one of ${clientStatuses.join(', ')} (what invoice_closed reported).`, {
      field: 'status',
    })
  return status as ClientInvoiceStatus
}

/** `{ canceled: boolean }`: turn a subscription's renewals off (true) or back on (false). */
export function parseSubscriptionBody(body: unknown): boolean {
  const canceled = isObject(body) ? body.canceled : undefined
  if (typeof canceled !== 'boolean')
    fail('The body must be { "canceled": true } or { "canceled": false }.', { field: 'canceled' })
  return canceled as boolean
}

export function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  if (header.length < 1 || header.length > 255 || !/^[\x21-\x7e]+$/.test(header))
    fail('Idempotency-Key must be 1-255 printable ASCII characters.', { field: 'Idempotency-Key' })
  return header
}

const parseDate = (value: string, field: string) => {
  const time = Date.parse(value)
  if (Number.isNaN(time)) fail(`${field} must be an ISO 8601 date.`, { field })
  return new Date(time).toISOString()
}

/** `?status=&limit=1..100&starting_after=&created_gte=&created_lte=` */
export function parseListQuery(query: Record<string, string | undefined>): ListOrdersParams {
  const params: ListOrdersParams = {}
  if (query.status !== undefined) {
    if (!ORDER_STATUSES.includes(query.status as OrderStatus))
      fail(`status must be one of ${ORDER_STATUSES.join(', ')}.`, { field: 'status' })
    params.status = query.status as OrderStatus
  }
  if (query.limit !== undefined) {
    const limit = Number(query.limit)
    if (!/^\d+$/.test(query.limit) || limit < 1 || limit > 100)
      fail('limit must be an integer from 1 to 100.', { field: 'limit' })
    params.limit = limit
  }
  if (query.starting_after !== undefined) {
    if (!/^ord_[0-9A-Z]{26}$/.test(query.starting_after))
      fail('starting_after must be an order id.', { field: 'starting_after' })
    params.startingAfter = query.starting_after
  }
  if (query.created_gte !== undefined) params.createdGte = parseDate(query.created_gte, 'created_gte')
  if (query.created_lte !== undefined) params.createdLte = parseDate(query.created_lte, 'created_lte')
  return params
}

/** `?user_id=`: the admin view's filter on one user. */
export function parseUserIdQuery(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const userId = Number(value)
  if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(userId) || userId < 1)
    fail('user_id must be a positive integer (a Telegram user id).', { field: 'user_id' })
  return userId
}

/** A stream's `Last-Event-ID` (or `?last_event_id=`): the timeline position the client saw last. */
export function parseLastEventId(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined
  const seq = Number(value)
  if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(seq))
    fail('Last-Event-ID must be the id of an event this stream sent.', { field: 'Last-Event-ID' })
  return seq
}

/** An admin refund's optional body: `{ reason?, by? }` (both go to the timeline). An empty body is `{}`. */
export async function parseRefundBody(request: Request): Promise<{ reason?: string; by?: string }> {
  const text = await request.text()
  if (!text.trim()) return {}
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return fail('The body is not valid JSON.')
  }
  if (!isObject(body)) return fail('The body must be a JSON object: { "reason"?: "...", "by"?: "..." }.')
  const result: { reason?: string; by?: string } = {}
  for (const [field, max] of [
    ['reason', 500],
    ['by', 100],
  ] as const) {
    const value = body[field]
    if (value === undefined) continue
    if (typeof value !== 'string' || value.length > max)
      fail(`${field} must be a string of at most ${max} characters.`, { field })
    if (value) result[field] = value as string
  }
  return result
}

/** Reads a JSON body; malformed JSON is the client's error, not ours. */
export async function readJson(request: Request): Promise<unknown> {
  const text = await request.text()
  if (!text) return fail('The request needs a JSON body.')
  try {
    return JSON.parse(text)
  } catch {
    return fail('The body is not valid JSON.')
  }
}
