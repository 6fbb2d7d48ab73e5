import { timingSafeEqual } from 'node:crypto'
import { getConnInfo } from '@hono/node-server/conninfo'
import type { Context, MiddlewareHandler } from 'hono'
import { PayError } from '../core/errors'
import { errorResponse } from './errors'

/** Wrong admin keys one client address may send within `windowMs` before it is refused for `blockMs`. */
export interface AdminAuthThrottle {
  maxFailures: number
  windowMs: number
  blockMs: number
}

export const DEFAULT_ADMIN_AUTH_THROTTLE: AdminAuthThrottle = {
  maxFailures: 10,
  windowMs: 300_000,
  blockMs: 300_000,
}

/** 32 characters of `openssl rand -hex 32` are 128 bits: no throttle is needed to keep that from being guessed. */
export const MIN_ADMIN_KEY_LENGTH = 32

// Addresses remembered at most; past it the oldest are forgotten, so a flood from many addresses cannot
// grow the map without bound.
const MAX_TRACKED_ADDRESSES = 10_000
const SHARED_BUCKET = 'shared'

export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Throws the TypeError createPayServer refuses a guessable admin key with. */
export function checkAdminKey(adminKey: string | undefined): void {
  if (adminKey !== undefined && adminKey.length < MIN_ADMIN_KEY_LENGTH)
    throw new TypeError(
      `createPayServer: adminKey must be at least ${MIN_ADMIN_KEY_LENGTH} characters (it can refund every order): make one with \`openssl rand -hex 32\`.`,
    )
}

/**
 * The client's address when the request came through @hono/node-server (its env carries the socket);
 * elsewhere (another runtime, a direct `pay.fetch(request)`) every caller shares one bucket. Behind a
 * reverse proxy that is the proxy's address, so there too every client shares one.
 */
function clientAddress(c: Context): string {
  const env = c.env as { incoming?: unknown; server?: { incoming?: unknown } } | undefined
  if (!env || typeof env !== 'object' || !(env.incoming || env.server?.incoming)) return SHARED_BUCKET
  try {
    return getConnInfo(c).remote.address ?? SHARED_BUCKET
  } catch {
    return SHARED_BUCKET
  }
}

interface Failures {
  count: number
  since: number
  blockedUntil: number
}

function createThrottle(limits: AdminAuthThrottle) {
  const { maxFailures, windowMs, blockMs } = limits
  if (!(Number.isInteger(maxFailures) && maxFailures >= 1 && windowMs > 0 && blockMs > 0))
    throw new TypeError(
      'createPayServer: adminAuthThrottle needs maxFailures (an integer from 1), windowMs and blockMs above 0; or false for none.',
    )
  const byAddress = new Map<string, Failures>()
  const prune = (now: number) => {
    for (const [address, entry] of byAddress) {
      if (entry.blockedUntil <= now && now - entry.since >= windowMs) byAddress.delete(address)
    }
    // A Map iterates in insertion order: what is still over the bound goes oldest first.
    for (const address of byAddress.keys()) {
      if (byAddress.size < MAX_TRACKED_ADDRESSES) break
      byAddress.delete(address)
    }
  }
  return {
    /** Milliseconds the address stays refused; 0 when it may try. */
    blockedFor(address: string, now: number): number {
      return Math.max(0, (byAddress.get(address)?.blockedUntil ?? 0) - now)
    },
    fail(address: string, now: number) {
      let entry = byAddress.get(address)
      // A lifted block, like an ended window, starts the count afresh.
      if (!entry || now - entry.since >= windowMs || (entry.blockedUntil && entry.blockedUntil <= now)) {
        if (!entry && byAddress.size >= MAX_TRACKED_ADDRESSES) prune(now)
        entry = { count: 0, since: now, blockedUntil: 0 }
        byAddress.set(address, entry)
      }
      entry.count++
      if (entry.count >= maxFailures) entry.blockedUntil = now + blockMs
    },
    succeed(address: string) {
      byAddress.delete(address)
    },
  }
}

/**
 * The admin routes' guard: `Authorization: Bearer <adminKey>`, and a client address that sent too many
 * wrong keys answered 429 for a while, the right key included, so a key cannot be guessed by volume.
 * Without an adminKey the routes answer 404, as if they did not exist.
 */
export function adminAuth(
  adminKey: string | undefined,
  throttleOption: AdminAuthThrottle | false | undefined,
): MiddlewareHandler {
  const throttle =
    throttleOption === false ? undefined : createThrottle(throttleOption ?? DEFAULT_ADMIN_AUTH_THROTTLE)
  return async (c, next) => {
    if (!adminKey) throw new PayError('not_found', `No route ${c.req.method} ${c.req.path}.`)
    const address = clientAddress(c)
    const now = Date.now()
    const blockedMs = throttle?.blockedFor(address, now) ?? 0
    if (blockedMs > 0) {
      const retryAfterSeconds = Math.ceil(blockedMs / 1000)
      const response = errorResponse(
        new PayError(
          'rate_limited',
          `Too many wrong admin keys from this address: try again in ${retryAfterSeconds} s, with the right key.`,
          { details: { retryAfterSeconds } },
        ),
      )
      response.headers.set('retry-after', String(retryAfterSeconds))
      return response
    }
    const header = c.req.header('authorization')
    const given = header && /^Bearer\s+(.+)$/i.exec(header.trim())?.[1]
    if (!sameSecret(given ?? undefined, adminKey)) {
      throttle?.fail(address, now)
      throw new PayError(
        'unauthorized',
        'Wrong or missing admin key: send Authorization: Bearer <admin key>.',
      )
    }
    throttle?.succeed(address)
    await next()
  }
}
