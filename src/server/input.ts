import type { ClientInvoiceStatus, ListOrdersParams, OrderStatus } from '../core'
import { PayError } from '../core/errors'
import { ORDER_STATUSES } from '../core/order'
import { MAX_INVOICE_AMOUNT } from '../core/order-rules'

// Untrusted input becomes typed values here, at the edge; everything past this point trusts its types.

export const fail = (message: string, details?: unknown): never => {
  throw new PayError('validation_failed', message, details === undefined ? {} : { details })
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

// PostgreSQL's text and jsonb cannot hold U+0000, and jsonb refuses a lone surrogate: such a string must be
// refused here, before an invoice link is made or a refund is sent, not by the database after.
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** True when PostgreSQL can store the string as text and inside jsonb. */
export const isStorableText = (text: string): boolean => !text.includes('\u0000') && !loneSurrogate.test(text)

/** A string the store can hold: no U+0000, no lone surrogate. */
export const storable = (value: unknown): value is string =>
  typeof value === 'string' && isStorableText(value)

export interface CreateOrderBody {
  productId: string
  quantity: number
  metadata: Record<string, string>
}

const METADATA_MAX_KEYS = 20
const METADATA_KEY_MAX = 40
const METADATA_VALUE_MAX = 500
/** The whole of `metadata` as JSON, in UTF-8 bytes: it is copied into every timeline event of the order. */
export const METADATA_MAX_BYTES = 4096

/** `{ productId, quantity?, metadata? }`. Other fields (an `amount`, say) are ignored: prices come from the catalog. */
export function parseCreateOrderBody(body: unknown): CreateOrderBody {
  if (!isObject(body))
    return fail('The body must be a JSON object: { "productId": "...", "quantity"?: 1, "metadata"?: {} }.')
  const { productId, quantity = 1, metadata = {} } = body
  if (!storable(productId) || productId.length < 1 || productId.length > 64)
    fail('productId must be a string of 1-64 characters.', { field: 'productId' })
  if (
    typeof quantity !== 'number' ||
    !Number.isInteger(quantity) ||
    quantity < 1 ||
    quantity > MAX_INVOICE_AMOUNT
  )
    fail(`quantity must be an integer from 1 to ${MAX_INVOICE_AMOUNT}.`, { field: 'quantity' })
  if (!isObject(metadata)) return fail('metadata must be an object of string values.', { field: 'metadata' })
  const entries = Object.entries(metadata)
  if (entries.length > METADATA_MAX_KEYS)
    fail(`metadata takes at most ${METADATA_MAX_KEYS} keys.`, { field: 'metadata' })
  for (const [key, value] of entries) {
    if (!storable(key) || key.length < 1 || key.length > METADATA_KEY_MAX)
      fail(`metadata keys must be 1-${METADATA_KEY_MAX} characters, without U+0000 or lone surrogates.`, {
        field: 'metadata',
      })
    if (!storable(value) || value.length > METADATA_VALUE_MAX)
      fail(
        `metadata values must be strings of at most ${METADATA_VALUE_MAX} characters, without U+0000 or lone surrogates.`,
        { field: `metadata.${key}` },
      )
  }
  if (new TextEncoder().encode(JSON.stringify(metadata)).length > METADATA_MAX_BYTES)
    fail(`metadata may hold at most ${METADATA_MAX_BYTES} bytes as JSON.`, { field: 'metadata' })
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

// PostgreSQL's timestamptz takes years 4713 BC to 294276 AD, JavaScript's Date +-275760 and ISO 8601 four
// digits: years 0001-9999 are what all three read alike.
const parseDate = (value: string, field: string) => {
  const time = Date.parse(value)
  const year = new Date(time).getUTCFullYear()
  if (Number.isNaN(time) || year < 1 || year > 9999)
    fail(`${field} must be an ISO 8601 date in the years 0001-9999.`, { field })
  return new Date(time).toISOString()
}

const ORDER_ID = /^ord_[0-9A-Z]{26}$/

/** Whether `value` is shaped like an order id (`ord_` and 26 characters): what every tma-pay invoice's payload is. */
export const isOrderId = (value: unknown): value is string =>
  typeof value === 'string' && ORDER_ID.test(value)

/** An order id from the path: anything not shaped like one names no order (404), and never reaches SQL. */
export function parseOrderId(value: string | undefined): string {
  if (value === undefined || !ORDER_ID.test(value))
    throw new PayError('not_found', `No order ${value ?? ''}.`)
  return value
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
    if (!ORDER_ID.test(query.starting_after))
      fail('starting_after must be an order id.', { field: 'starting_after' })
    params.startingAfter = query.starting_after
  }
  if (query.created_gte !== undefined) params.createdGte = parseDate(query.created_gte, 'created_gte')
  if (query.created_lte !== undefined) params.createdLte = parseDate(query.created_lte, 'created_lte')
  return params
}

/** A stream's `Last-Event-ID` (or `?last_event_id=`): the timeline position the client saw last. */
export function parseLastEventId(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined
  const seq = Number(value)
  if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(seq))
    fail('Last-Event-ID must be the id of an event this stream sent.', { field: 'Last-Event-ID' })
  return seq
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
