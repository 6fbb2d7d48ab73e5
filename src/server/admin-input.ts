// The shop owner's input: the admin routes' bodies, queries and path parameters, typed at the edge.
import { PayError } from '../core/errors'
import { fail, isObject, storable } from './input'

/** `?user_id=`: the admin view's filter on one user. */
export function parseUserIdQuery(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const userId = Number(value)
  if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(userId) || userId < 1)
    fail('user_id must be a positive integer (a Telegram user id).', { field: 'user_id' })
  return userId
}

/** A user id in an admin path; anything else names no user (404). */
export function parseUserIdParam(value: string | undefined): number {
  const userId = Number(value)
  if (!value || !/^\d{1,16}$/.test(value) || !Number.isSafeInteger(userId) || userId < 1)
    throw new PayError('not_found', `No user ${value ?? ''}.`)
  return userId
}

/** A product id in an admin path; one that cannot be a product id names no product (404). */
export function parseProductIdParam(value: string | undefined): string {
  if (!storable(value) || value.length < 1 || value.length > 64)
    throw new PayError('product_not_found', `No product "${value ?? ''}" in the catalog.`)
  return value
}

/** A JSON object body; empty is `{}`. */
async function readObject(request: Request, shape: string): Promise<Record<string, unknown>> {
  const text = await request.text()
  if (!text.trim()) return {}
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return fail('The body is not valid JSON.')
  }
  if (!isObject(body)) return fail(`The body must be a JSON object: ${shape}.`)
  return body
}

/** `reason` and `by`, each an optional string the timeline keeps; `reason` required when `needReason`. */
function readWhy(body: Record<string, unknown>, needReason: boolean): { reason?: string; by?: string } {
  const result: { reason?: string; by?: string } = {}
  for (const [field, max] of [
    ['reason', 500],
    ['by', 100],
  ] as const) {
    const value = body[field]
    if (value === undefined) continue
    if (!storable(value) || value.length > max)
      fail(`${field} must be a string of at most ${max} characters, without U+0000 or lone surrogates.`, {
        field,
      })
    if (value) result[field] = value as string
  }
  if (needReason && !result.reason)
    fail('reason is required: it goes on the timeline, for whoever looks at this later.', { field: 'reason' })
  return result
}

/** An admin refund's optional body: `{ reason?, by? }` (both go to the timeline). An empty body is `{}`. */
export async function parseRefundBody(request: Request): Promise<{ reason?: string; by?: string }> {
  return readWhy(await readObject(request, '{ "reason"?: "...", "by"?: "..." }'), false)
}

/** `{ productId, reason, by?, durationSeconds? }`: an entitlement granted without a payment. */
export async function parseGrantBody(
  request: Request,
): Promise<{ productId: string; reason: string; by?: string; durationSeconds?: number }> {
  const body = await readObject(
    request,
    '{ "productId": "...", "reason": "...", "by"?: "...", "durationSeconds"?: 86400 }',
  )
  const productId = body.productId
  if (!storable(productId) || productId.length < 1 || productId.length > 64)
    fail('productId must be a string of 1-64 characters.', { field: 'productId' })
  const { durationSeconds } = body
  if (
    durationSeconds !== undefined &&
    !(
      Number.isSafeInteger(durationSeconds) &&
      (durationSeconds as number) >= 60 &&
      (durationSeconds as number) <= 315_360_000
    )
  )
    fail('durationSeconds must be a whole number of seconds from 60 to 315360000 (ten years).', {
      field: 'durationSeconds',
    })
  const why = readWhy(body, true)
  return {
    productId: productId as string,
    reason: why.reason!,
    ...(why.by ? { by: why.by } : {}),
    ...(durationSeconds === undefined ? {} : { durationSeconds: durationSeconds as number }),
  }
}

/** `{ reason, by? }`: why an entitlement is revoked. */
export async function parseRevokeBody(request: Request): Promise<{ reason: string; by?: string }> {
  const why = readWhy(await readObject(request, '{ "reason": "...", "by"?: "..." }'), true)
  return { reason: why.reason!, ...(why.by ? { by: why.by } : {}) }
}
