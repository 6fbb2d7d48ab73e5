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

const statusByCode: Record<PayErrorCode, number> = {
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
  network_error: 0,
  timeout: 0,
  invoice_unavailable: 0,
  payment_failed: 0,
  aborted: 0,
  internal: 500,
}

export interface PayErrorBody {
  error: { code: PayErrorCode; message: string; details?: unknown }
}

/** Every failure the kit reports. `status` is the HTTP status (0 when no response came). */
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
    this.status = options.status ?? statusByCode[code]
    if (options.details !== undefined) this.details = options.details
  }

  /** The JSON body the HTTP API sends for this error. */
  toJSON(): PayErrorBody {
    const error: PayErrorBody['error'] = { code: this.code, message: this.message }
    if (this.details !== undefined) error.details = this.details
    return { error }
  }

  /** Renders the error as the HTTP API's response. */
  toResponse(headers?: HeadersInit): Response {
    const response = Response.json(this.toJSON(), { status: this.status || 500, headers })
    return response
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
    const code = (error.code in statusByCode ? error.code : 'internal') as PayErrorCode
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
