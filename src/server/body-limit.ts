import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'

/**
 * Hono's `bodyLimit`, with its answer for the usual requests worked out from the headers alone. `bodyLimit` first
 * asks whether the request has a body (`c.req.raw.body`), and under @hono/node-server that one question builds the
 * whole Web `Request` (headers copied, a body stream over the socket, an AbortController) for every request, GETs
 * included: about a tenth of a payment's CPU. The outcome is `bodyLimit`'s own: a GET or HEAD has no body; a
 * Content-Length without Transfer-Encoding is compared as it compares it; anything else (a chunked body) goes to
 * `bodyLimit`, which counts the bytes as they come.
 */
export function fastBodyLimit(options: Parameters<typeof bodyLimit>[0]): MiddlewareHandler {
  const counted = bodyLimit(options)
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next()
    const length = c.req.header('content-length')
    if (length !== undefined && c.req.header('transfer-encoding') === undefined)
      // As bodyLimit reads it: a length that does not parse is not over the limit.
      return !(Number.parseInt(length || '0', 10) > options.maxSize)
        ? next()
        : options.onError
          ? options.onError(c)
          : counted(c, next)
    return counted(c, next)
  }
}
