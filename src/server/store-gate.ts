import { PayError } from '../core/errors'
import type { Logger } from './logger'
import type { PayStore } from './store/types'

/** How long after a failed migration the next request tries again, in ms. */
export const DEFAULT_STORE_RETRY_MS = 5000

// Node's socket errors, postgres.js' own connection codes, and PostgreSQL's SQLSTATEs for a server that is
// going away or not taking connections: all "the database is not there", none a bug in the request.
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '57P01',
  '57P02',
  '57P03',
  '53300',
])

/** True for errors that mean the store cannot be reached (now), rather than that a query is wrong. */
export function isStoreConnectionError(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const { code, errors, cause } = current as { code?: unknown; errors?: unknown; cause?: unknown }
    if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true
    // Node reports a refused dual-stack connect (localhost on ::1 and 127.0.0.1) as an AggregateError.
    if (Array.isArray(errors) && errors.some(isStoreConnectionError)) return true
    current = cause
  }
  return false
}

/** An error as a log line can show it: message, code and stack, not `[object Object]`. */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) {
    // Not every throw is an Error: PGlite's WASM runtime throws an ExitStatus object, for one.
    if (typeof error !== 'object' || error === null) return { message: String(error) }
    const { message, code, status } = error as { message?: unknown; code?: unknown; status?: unknown }
    let text = typeof message === 'string' ? message : undefined
    try {
      text ??= JSON.stringify(error)
    } catch {}
    return {
      message: text ?? Object.prototype.toString.call(error),
      ...(code === undefined ? {} : { code }),
      ...(status === undefined ? {} : { status }),
    }
  }
  const { code, errors, cause } = error as Error & { code?: unknown; errors?: unknown; cause?: unknown }
  return {
    message: error.message,
    ...(code === undefined ? {} : { code }),
    ...(error.stack ? { stack: error.stack } : {}),
    ...(Array.isArray(errors) ? { errors: errors.map((inner) => describeError(inner)) } : {}),
    ...(cause === undefined ? {} : { cause: describeError(cause) }),
  }
}

export function storeUnavailable(cause?: unknown): PayError {
  return new PayError(
    'store_unavailable',
    'The pay server cannot reach its database right now; try again in a few seconds.',
    cause === undefined ? {} : { cause },
  )
}

/**
 * Requests wait for the store's migration. A failed one (the database down at start) is tried again by
 * the first request after `retryMs`, not by every request, so a flood of them does not hammer a database
 * that is coming back; until one succeeds, requests answer 503 `store_unavailable`.
 */
export function createStoreGate(store: PayStore, logger: Logger, retryMs: number) {
  let migrated = false
  let attempt: Promise<void> | undefined
  let failedAt = 0
  let lastError: unknown

  const migrate = () => {
    const current = store.migrate().then(
      () => {
        migrated = true
        if (lastError !== undefined) logger.info('store migration succeeded after failing; serving again')
      },
      (error) => {
        failedAt = Date.now()
        lastError = error
        logger.error(
          `store migration failed; requests answer 503 store_unavailable, and one tries again after ${retryMs} ms`,
          describeError(error),
        )
        throw storeUnavailable(error)
      },
    )
    attempt = current
    void current.then(
      () => {},
      () => {
        if (attempt === current) attempt = undefined
      },
    )
    return current
  }
  migrate()

  return {
    /** Resolves once the store is migrated; rejects with `store_unavailable` while it cannot be. */
    ready(): Promise<void> {
      if (migrated) return Promise.resolve()
      if (attempt) return attempt
      if (Date.now() - failedAt >= retryMs) return migrate()
      return Promise.reject(storeUnavailable(lastError))
    },
    /** Waits for an attempt under way (before the store closes); never rejects. */
    async settled(): Promise<void> {
      await attempt?.catch(() => {})
    },
  }
}
