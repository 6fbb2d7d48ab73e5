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
  | 'invalid_state'
  | 'rate_limited'
  | 'telegram_error'
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
  readonly code: PayErrorCode
  readonly status: number
  readonly details?: unknown

  constructor(
    code: PayErrorCode,
    message: string,
    options: { status?: number; details?: unknown; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.status = options.status ?? 0
    if (options.details !== undefined) this.details = options.details
  }

  /** Network failures and 5xx answers may succeed on a retry; 4xx answers will not. */
  get retryable(): boolean {
    return (
      this.code === 'network_error' || this.code === 'timeout' || this.status >= 500 || this.status === 429
    )
  }
}

export function isPayError(value: unknown): value is PayError {
  return value instanceof PayError
}

/** Reads a `{ error: { code, message } }` body into a PayError; anything else becomes `internal`. */
export function payErrorFromBody(status: number, body: unknown): PayError {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    const code = error.code as PayErrorCode
    return new PayError(code, error.message, { status, details: error.details })
  }
  return new PayError(
    status >= 500 ? 'internal' : 'validation_failed',
    `The pay server answered HTTP ${status}.`,
    {
      status,
    },
  )
}
