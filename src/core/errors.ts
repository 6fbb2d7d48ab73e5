/** Error codes of the HTTP API, shared by server and client. */
export type PayErrorCode =
  | 'unauthorized'
  | 'init_data_expired'
  | 'forbidden'
  | 'not_found'
  | 'product_not_found'
  | 'product_unavailable'
  | 'validation_failed'
  | 'payload_too_large'
  | 'idempotency_conflict'
  | 'idempotency_in_progress'
  | 'already_owned'
  | 'invalid_state'
  | 'rate_limited'
  | 'telegram_error'
  | 'provider_token_missing'
  | 'store_unavailable'
  | 'network_error'
  | 'timeout'
  | 'invoice_unavailable'
  | 'payment_failed'
  | 'aborted'
  | 'internal'

export interface PayErrorBody {
  error: { code: PayErrorCode; message: string; details?: unknown }
}

/**
 * Every failure the kit reports. `status` is the HTTP status the answer came with (0 when none came, or
 * before the server renders the error: it derives the status from the code).
 */
export class PayError extends Error {
  override readonly name = 'PayError'
  // Set in the constructor (in this order, `details` too when undefined): `declare` adds no field code.
  declare readonly code: PayErrorCode
  declare readonly status: number
  declare readonly details?: unknown

  constructor(
    code: PayErrorCode,
    message: string,
    options: { status?: number; details?: unknown; cause?: unknown } = {},
  ) {
    // Error reads `cause` only when the key is there: no `cause` at all when there is none, as a plain Error has.
    super(message, options)
    this.code = code
    this.status = options.status ?? 0
    this.details = options.details
  }

  /** Network failures and 5xx answers may succeed on a retry; 4xx answers will not, nor will a server missing its provider token. */
  get retryable(): boolean {
    if (this.code === 'provider_token_missing') return false
    return (
      this.code === 'network_error' || this.code === 'timeout' || this.status >= 500 || this.status === 429
    )
  }
}

export function isPayError(value: unknown): value is PayError {
  return value instanceof PayError
}

/** Reads a `{ error: { code, message } }` body into a PayError; anything else becomes `internal` (5xx) or `validation_failed`. */
export function payErrorFromBody(status: number, body: unknown): PayError {
  const error = (body as Partial<PayErrorBody> | null)?.error
  return error && typeof error.code === 'string' && typeof error.message === 'string'
    ? new PayError(error.code, error.message, { status, details: error.details })
    : new PayError(
        status >= 500 ? 'internal' : 'validation_failed',
        `The pay server answered HTTP ${status}.`,
        { status },
      )
}
