import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'

/** Browser origins allowed to call the API; see `CorsOptions.origin`. */
export type CorsOrigin = string | readonly string[] | ((origin: string) => boolean | string | undefined)

export interface CorsOptions {
  /**
   * Origins (scheme, host and port, no path: `https://shop.example`) whose pages may call the API: one, a
   * list, `'*'` for any, or a function of the request's `Origin` that returns true (allow it), a string (the
   * `Access-Control-Allow-Origin` to answer with) or false/undefined (refuse). Other origins get no CORS
   * headers at all, so their browsers keep the answers from them. Default: none (same origin only).
   */
  origin: CorsOrigin
}

// What the kit's client sends: init data, JSON bodies, idempotency keys and the order stream's resume point.
const ALLOW_HEADERS = ['authorization', 'content-type', 'idempotency-key', 'last-event-id']
// Browsers may then skip the preflight for ten minutes (Chromium caps it at two hours anyway).
const PREFLIGHT_MAX_AGE_SECONDS = 600

/** Why `text` is not a usable origin, or undefined when it is one (or `'*'`). */
export function originProblem(text: string): string | undefined {
  if (text === '*') return undefined
  let origin: string | undefined
  try {
    origin = new URL(text).origin
  } catch {}
  if (origin && origin !== 'null' && origin === text) return undefined
  return `${JSON.stringify(text)} is not an origin: give scheme://host[:port] with no path or trailing slash, e.g. https://shop.example`
}

function matcher(origin: CorsOrigin): (requestOrigin: string) => string | undefined {
  if (typeof origin === 'function') {
    return (requestOrigin) => {
      const verdict = origin(requestOrigin)
      return verdict === true ? requestOrigin : typeof verdict === 'string' && verdict ? verdict : undefined
    }
  }
  const list = typeof origin === 'string' ? [origin] : [...origin]
  for (const entry of list) {
    const problem = originProblem(entry)
    if (problem) throw new TypeError(`createPayServer: cors.origin ${problem}.`)
  }
  if (list.includes('*')) return () => '*'
  const allowed = new Set(list)
  return (requestOrigin) => (allowed.has(requestOrigin) ? requestOrigin : undefined)
}

/**
 * Hono's `cors`, run only for allowed origins: it would put Allow-Methods and Allow-Headers on any
 * preflight. Mounted first, so a preflight (which carries no init data or key) is answered before auth,
 * the body limit and the wait for the store.
 */
export function corsMiddleware(options: CorsOptions): MiddlewareHandler {
  const allow = matcher(options.origin)
  const allowed = cors({
    origin: (origin) => allow(origin) ?? null,
    allowMethods: ['GET', 'POST'],
    allowHeaders: ALLOW_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  })
  return async (c, next) => {
    const origin = c.req.header('origin')
    if (origin && allow(origin)) return allowed(c, next)
    await next()
    // A cache must not hand this answer (without CORS headers) to an allowed origin, or the reverse.
    c.header('Vary', 'Origin', { append: true })
  }
}
