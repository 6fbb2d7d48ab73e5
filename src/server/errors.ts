import type { PayError, PayErrorBody, PayErrorCode } from '../core'

// The HTTP status of each code lives with the server that renders it, keeping the browser bundle small.
const httpStatusByCode: Record<PayErrorCode, number> = {
  unauthorized: 401,
  init_data_expired: 401,
  forbidden: 403,
  not_found: 404,
  product_not_found: 404,
  product_unavailable: 409,
  validation_failed: 400,
  payload_too_large: 413,
  idempotency_conflict: 409,
  idempotency_in_progress: 409,
  invalid_state: 409,
  rate_limited: 429,
  telegram_error: 502,
  // The server cannot sell this product until its operator configures a provider token.
  provider_token_missing: 503,
  // The database is down or unreachable: a retry in a few seconds may succeed.
  store_unavailable: 503,
  network_error: 0,
  timeout: 0,
  invoice_unavailable: 0,
  payment_failed: 0,
  aborted: 0,
  internal: 500,
}

/** The HTTP API's answer for an error: its status from the code, and `{ error: { code, message, details? } }`. */
export function errorResponse(error: PayError): Response {
  const body: PayErrorBody = { error: { code: error.code, message: error.message } }
  if (error.details !== undefined) body.error.details = error.details
  return Response.json(body, { status: error.status || httpStatusByCode[error.code] || 500 })
}
