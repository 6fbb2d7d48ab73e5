import type { PayErrorCode } from './errors'

// The HTTP status of each error code: the server renders it, and the fake client (tma-pay/testing) reports the
// same. Not in the browser bundle: the client reads the status off the answer.
export const httpStatusByCode: Record<PayErrorCode, number> = {
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
  already_owned: 409,
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
