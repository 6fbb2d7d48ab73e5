// Money safety under hostile input (issue 9), at the HTTP edge where clients, attackers and a failing
// database meet the server.
import http from 'node:http'
import { connect, createServer, type Server, type Socket } from 'node:net'
import {
  createPayServer,
  type PayServer,
  type PayServerOptions,
  type PayStore,
  postgresStore,
} from 'tma-pay/server'
import { signInitData, type TelegramSimulator } from 'tma-pay/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshPostgresDatabase, postgresAvailable } from './helpers/databases'
import {
  createSimulator,
  createTestDatabase,
  eventually,
  type RunningServer,
  startServer,
  storeKinds,
  type TestDatabase,
  testProducts,
  userApi,
  webhookSecret,
} from './helpers/stack'

const adminKey = 'edge-safety-admin-key-0123456789abcdef'
const shopOrigin = 'https://shop.example'

interface LogEntry {
  level: 'info' | 'warn' | 'error'
  message: string
  data: unknown
}

function recordingLogger() {
  const entries: LogEntry[] = []
  const log = (level: LogEntry['level']) => (message: string, data?: unknown) =>
    void entries.push({ level, message, data })
  return { entries, logger: { info: log('info'), warn: log('warn'), error: log('error') } }
}

interface RawAnswer {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

/** One request over node:http, so the test picks the socket (an agent) and the client address. */
function rawRequest(
  url: string,
  init: {
    method?: string
    headers?: Record<string, string>
    body?: string | Buffer
    agent?: http.Agent
    localAddress?: string
  } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: init.method ?? 'GET',
        headers: {
          ...init.headers,
          ...(init.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(init.body)) }),
        },
        ...(init.agent ? { agent: init.agent } : {}),
        ...(init.localAddress ? { localAddress: init.localAddress } : {}),
      },
      (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk) => (body += chunk))
        response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }))
        response.on('error', reject)
      },
    )
    request.on('error', reject)
    request.end(init.body)
  })
}

const errorOf = (answer: RawAnswer) =>
  (JSON.parse(answer.body) as { error: { code: string; message: string; details?: unknown } }).error

/** A store whose `migrate` the test controls; everything else is the real store's. */
function withMigrate(store: PayStore, migrate: (real: () => Promise<void>) => Promise<void>): PayStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'migrate') return () => migrate(() => target.migrate())
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
    code: 'ECONNREFUSED',
    errno: -111,
    syscall: 'connect',
  })

/** What PGlite's WASM runtime throws when its PostgreSQL exits: no Error, so `String()` of it is "[object Object]". */
class ExitStatus {
  readonly name = 'ExitStatus'
  readonly message: string
  constructor(readonly status: number) {
    this.message = `Program terminated with exit(${status})`
  }
}

describe('admin key length', () => {
  it('refuses an admin key shorter than 32 characters, saying how to make one', () => {
    for (const short of ['', 'admin-key-for-tests-0123456789', 'x'.repeat(31)]) {
      expect(() =>
        createPayServer({
          botToken: '1:test',
          webhookSecret,
          products: testProducts,
          adminKey: short,
          store: withMigrate({} as PayStore, async () => {}),
          backgroundIntervalMs: false,
          reconcile: false,
        }),
      ).toThrow(/adminKey must be at least 32 characters.*openssl rand -hex 32/)
    }
    let thrown: unknown
    try {
      createPayServer({ botToken: '1:test', webhookSecret, products: testProducts, adminKey: 'short' })
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(TypeError)
  })
})

describe.each(storeKinds)('the HTTP edge on %s', (kind) => {
  let sim: TelegramSimulator
  let database: TestDatabase
  let server: RunningServer
  const spares: TestDatabase[] = []
  /** A store of its own, for a second pay server beside `server` (one PGlite directory, one store). */
  const spareStore = async () => {
    const spare = await createTestDatabase(kind)
    spares.push(spare)
    return spare.open()
  }

  beforeAll(async () => {
    sim = await createSimulator()
    database = await createTestDatabase(kind)
    server = await startServer(sim, database.open(), {
      adminKey,
      reconcile: false,
      cors: { origin: [shopOrigin, 'https://other.example'] },
    })
  })
  afterAll(async () => {
    await server?.close()
    await sim?.close()
    await database?.remove()
    for (const spare of spares) await spare.remove()
  })

  it('answers 503 store_unavailable while the migration fails, logs why, and retries after a pause', async () => {
    const { entries, logger } = recordingLogger()
    let attempts = 0
    const pay = createPayServer({
      botToken: sim.botToken,
      apiRoot: sim.url,
      webhookSecret,
      products: testProducts,
      store: withMigrate(await spareStore(), async (real) => {
        attempts++
        if (attempts === 1) throw refused()
        if (attempts === 2) throw new ExitStatus(1)
        await real()
      }),
      storeRetryMs: 300,
      backgroundIntervalMs: false,
      reconcile: false,
      logger,
    })
    try {
      const request = () =>
        pay.fetch(
          new Request('http://pay.test/orders', {
            headers: { authorization: `tma ${sim.signInitData(4004)}` },
          }),
        )
      const down = await request()
      expect(down.status).toBe(503)
      expect(((await down.json()) as { error: { code: string } }).error.code).toBe('store_unavailable')
      // Within the pause no new attempt is made: a flood of requests does not hammer the database.
      expect((await request()).status).toBe(503)
      expect(attempts).toBe(1)

      const logged = entries.find((entry) => entry.message.startsWith('store migration failed'))
      expect(logged?.level).toBe('error')
      const data = logged!.data as { message: string; code: string; stack: string }
      expect(data).toMatchObject({ message: 'connect ECONNREFUSED 127.0.0.1:5432', code: 'ECONNREFUSED' })
      expect(data.stack).toMatch(/^Error: connect ECONNREFUSED/)

      // The second attempt, after the pause, fails with a throw that is no Error; the third succeeds.
      const up = await eventually(async () => {
        const response = await request()
        return response.status === 200 && response
      }, 5000)
      expect(((await up.json()) as { totalCount: number }).totalCount).toBe(0)
      expect(attempts).toBe(3)
      const failures = entries.filter((entry) => entry.message.startsWith('store migration failed'))
      expect(failures).toHaveLength(2)
      expect(failures[1]!.data).toMatchObject({ message: 'Program terminated with exit(1)', status: 1 })
      expect(JSON.stringify(entries)).not.toContain('[object Object]')
    } finally {
      await pay.close()
    }
  })

  it('refuses init data dated more than 5 minutes in the future, and takes a little clock skew', async () => {
    const from = (offsetMs: number) =>
      signInitData({
        botToken: sim.botToken,
        user: { id: 4003, first_name: 'Marty' },
        authDate: new Date(Date.now() + offsetMs),
      })
    const future = await rawRequest(`${server.url}/orders`, {
      headers: { authorization: `tma ${from(10 * 60_000)}` },
    })
    expect(future.status).toBe(401)
    const error = errorOf(future)
    expect(error.code).toBe('unauthorized')
    expect(error.message).toMatch(/in the future.*clock/)
    const farFuture = await rawRequest(`${server.url}/orders`, {
      headers: { authorization: `tma ${from(365 * 86_400_000)}` },
    })
    expect(farFuture.status).toBe(401)

    const skewed = await rawRequest(`${server.url}/orders`, {
      headers: { authorization: `tma ${from(60_000)}` },
    })
    expect(skewed.status).toBe(200)
  })

  describe('admin key throttle', () => {
    it('answers 429 rate_limited to an address after 10 wrong keys, even for the right key; other addresses go on', async () => {
      const admin = (key: string, localAddress = '127.0.0.1') =>
        rawRequest(`${server.url}/admin/orders`, {
          headers: { authorization: `Bearer ${key}` },
          localAddress,
        })
      expect((await admin(adminKey)).status).toBe(200)
      for (let attempt = 1; attempt <= 10; attempt++) {
        const wrong = await admin(`${adminKey}-wrong-${attempt}`)
        expect({ attempt, status: wrong.status }).toEqual({ attempt, status: 401 })
      }
      for (const key of ['still-wrong', adminKey]) {
        const blocked = await admin(key)
        expect(blocked.status).toBe(429)
        const error = errorOf(blocked)
        expect(error.code).toBe('rate_limited')
        const { retryAfterSeconds } = error.details as { retryAfterSeconds: number }
        expect(retryAfterSeconds).toBeGreaterThan(290)
        expect(retryAfterSeconds).toBeLessThanOrEqual(300)
        expect(blocked.headers['retry-after']).toBe(String(retryAfterSeconds))
      }
      // Another client address is not blocked: one attacker cannot lock the shop owner out from everywhere.
      expect((await admin(adminKey, '127.0.0.2')).status).toBe(200)
    })

    it('lifts the block after blockMs, and without the node adapter counts every caller in one bucket', async () => {
      const pay = createPayServer({
        botToken: sim.botToken,
        apiRoot: sim.url,
        webhookSecret,
        products: testProducts,
        store: await spareStore(),
        adminKey,
        adminAuthThrottle: { maxFailures: 2, windowMs: 60_000, blockMs: 300 },
        backgroundIntervalMs: false,
        reconcile: false,
        logger: { info() {}, warn() {}, error() {} },
      })
      try {
        const admin = (key: string) =>
          pay.fetch(
            new Request('http://pay.test/admin/orders', { headers: { authorization: `Bearer ${key}` } }),
          )
        expect((await admin('wrong-one')).status).toBe(401)
        expect((await admin('wrong-two')).status).toBe(401)
        const blocked = await admin(adminKey)
        expect(blocked.status).toBe(429)
        expect(((await blocked.json()) as { error: { code: string } }).error.code).toBe('rate_limited')
        await eventually(async () => (await admin(adminKey)).status === 200, 5000)
      } finally {
        await pay.close()
      }
    })
  })

  it('closes the connection after a 413, so the next request on a keep-alive client works', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    try {
      // Warm the one socket up, so the 413 is answered on a reused keep-alive connection.
      expect((await rawRequest(`${server.url}/healthz`, { agent })).status).toBe(200)
      const tooLarge = await rawRequest(`${server.url}/orders`, {
        method: 'POST',
        agent,
        headers: { authorization: `tma ${sim.signInitData(4001)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ productId: 'gem', metadata: { note: 'x'.repeat(1_000_000) } }),
      })
      expect(tooLarge.status).toBe(413)
      expect(errorOf(tooLarge).code).toBe('payload_too_large')
      expect(tooLarge.headers.connection).toBe('close')
      const next = await rawRequest(`${server.url}/healthz`, { agent })
      expect(next.status).toBe(200)
    } finally {
      agent.destroy()
    }
  })

  describe('CORS', () => {
    const preflight = (origin: string, path = '/orders', method = 'POST') =>
      rawRequest(`${server.url}${path}`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': method,
          'access-control-request-headers': 'authorization,content-type,idempotency-key',
        },
      })
    const corsHeaders = (answer: RawAnswer) =>
      Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'))

    it('answers preflights of an allowed origin with the headers the client sends, without auth', async () => {
      for (const origin of [shopOrigin, 'https://other.example']) {
        const answer = await preflight(origin)
        expect(answer.status).toBe(204)
        expect(answer.headers['access-control-allow-origin']).toBe(origin)
        const allowed = String(answer.headers['access-control-allow-headers']).split(',')
        expect(allowed).toEqual(
          expect.arrayContaining(['authorization', 'content-type', 'idempotency-key', 'last-event-id']),
        )
        expect(String(answer.headers['access-control-allow-methods'])).toMatch(/POST/)
      }
      // Admin routes too: the preflight carries no key, so it never counts as a wrong one.
      expect((await preflight(shopOrigin, '/admin/orders/ord_x/refund')).status).toBe(204)
    })

    it('sends no CORS headers at all to other origins', async () => {
      for (const origin of ['https://evil.example', 'https://shop.example.evil.example', 'null']) {
        const answer = await preflight(origin)
        expect({ origin, headers: corsHeaders(answer) }).toEqual({ origin, headers: [] })
        const get = await rawRequest(`${server.url}/products`, { headers: { origin } })
        expect(get.status).toBe(200)
        expect({ origin, headers: corsHeaders(get) }).toEqual({ origin, headers: [] })
      }
    })

    it('lets an allowed origin read answers, errors and the order stream', async () => {
      const products = await rawRequest(`${server.url}/products`, { headers: { origin: shopOrigin } })
      expect(products.status).toBe(200)
      expect(products.headers['access-control-allow-origin']).toBe(shopOrigin)
      expect(String(products.headers.vary)).toMatch(/origin/i)

      // An error must be readable too, or the Mini App sees a network error instead of the code.
      const unauthorized = await rawRequest(`${server.url}/orders`, { headers: { origin: shopOrigin } })
      expect(unauthorized.status).toBe(401)
      expect(unauthorized.headers['access-control-allow-origin']).toBe(shopOrigin)

      const user = userApi(sim, server.url, 4002)
      const order = await user.createOrder('magic-book')
      const controller = new AbortController()
      try {
        const stream = await fetch(`${server.url}/orders/${order.id}/stream`, {
          headers: { origin: shopOrigin, authorization: `tma ${user.initData}` },
          signal: controller.signal,
        })
        expect(stream.status).toBe(200)
        expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/)
        expect(stream.headers.get('access-control-allow-origin')).toBe(shopOrigin)
        const reader = stream.body!.getReader()
        let text = ''
        while (!/^event: order$[\s\S]*\n\n/m.test(text)) {
          const { value, done } = await reader.read()
          if (done) break
          text += new TextDecoder().decode(value)
        }
        expect(text).toMatch(/^event: order$/m)
        expect(text).toContain(order.id)
      } finally {
        controller.abort()
      }
    })

    it('takes a function, and answers preflights before the body limit and the wait for the store', async () => {
      let releaseMigrate!: () => void
      const migrateHeld = new Promise<void>((resolve) => (releaseMigrate = resolve))
      const pay = createPayServer({
        botToken: sim.botToken,
        apiRoot: sim.url,
        webhookSecret,
        products: testProducts,
        store: withMigrate(await spareStore(), async (real) => {
          await migrateHeld
          await real()
        }),
        maxBodyBytes: 10,
        cors: { origin: (origin) => origin.endsWith('.shop.example') },
        backgroundIntervalMs: false,
        reconcile: false,
        logger: { info() {}, warn() {}, error() {} },
      })
      try {
        const answer = await pay.fetch(
          new Request('http://pay.test/orders', {
            method: 'OPTIONS',
            headers: {
              origin: 'https://a.shop.example',
              'access-control-request-method': 'POST',
              'content-length': '1000',
            },
            signal: AbortSignal.timeout(5000),
          }),
        )
        expect(answer.status).toBe(204)
        expect(answer.headers.get('access-control-allow-origin')).toBe('https://a.shop.example')
        expect(answer.headers.get('access-control-allow-headers')).toMatch(/last-event-id/)
      } finally {
        releaseMigrate()
        await pay.close()
      }
    })
  })
})

/**
 * A TCP proxy in front of PostgreSQL that the test takes down (every connection cut, new ones refused,
 * as by a database that stopped) and brings back on the same port.
 */
async function startTcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>()
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  }
  const server: Server = createServer((client) => {
    track(client)
    const upstream = connect(target.port, target.host, () => {
      client.pipe(upstream)
      upstream.pipe(client)
    })
    track(upstream)
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
    client.on('close', () => upstream.destroy())
  })
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
  await listen(0)
  const port = (server.address() as { port: number }).port
  const down = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      for (const socket of sockets) socket.destroy()
    })
  return { port, down, up: () => listen(port), close: () => (server.listening ? down() : Promise.resolve()) }
}

describe('a PostgreSQL store that is down', () => {
  it('answers 503 store_unavailable JSON on a closed port, with the real error in the log', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number }
        probe.close(() => resolve(port))
      })
    })
    const { entries, logger } = recordingLogger()
    const pay: PayServer = createPayServer({
      botToken: '1:test',
      webhookSecret,
      products: testProducts,
      store: postgresStore(`postgres://nobody:pw@127.0.0.1:${port}/none`, { max: 1 }),
      backgroundIntervalMs: false,
      reconcile: false,
      logger,
    })
    try {
      for (const path of ['/products', '/orders', '/healthz']) {
        const response = await pay.fetch(new Request(`http://pay.test${path}`))
        expect({ path, status: response.status }).toEqual({ path, status: 503 })
        const body = (await response.json()) as { error: { code: string; message: string } }
        expect(body.error.code).toBe('store_unavailable')
        expect(body.error.message).toMatch(/try again/)
      }
      const logged = entries.find((entry) => entry.message.startsWith('store migration failed'))
      expect(logged?.data).toMatchObject({
        code: 'ECONNREFUSED',
        stack: expect.stringContaining('ECONNREFUSED'),
      })
    } finally {
      await pay.close()
    }
  })

  it.runIf(postgresAvailable)(
    'recovers once the database is back, and answers 503 for connection errors at query time',
    async () => {
      const database = await freshPostgresDatabase()
      const target = new URL(database.url)
      const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
      const sim = await createSimulator()
      const { entries, logger } = recordingLogger()
      const viaProxy = new URL(database.url)
      viaProxy.hostname = '127.0.0.1'
      viaProxy.port = String(proxy.port)
      await proxy.down()
      const server = await startServer(sim, postgresStore(viaProxy.toString(), { max: 2 }), {
        logger,
        reconcile: false,
        storeRetryMs: 200,
      } satisfies Partial<PayServerOptions>)
      try {
        const user = userApi(sim, server.url, 4005)
        const first = await user.call('GET', '/orders')
        expect(first.status).toBe(503)
        expect(first.body.error.code).toBe('store_unavailable')

        await proxy.up()
        await eventually(async () => (await user.call('GET', '/orders')).status === 200, 10_000)
        const order = await user.createOrder('gem')

        await proxy.down()
        const cut = await user.call('GET', `/orders/${order.id}`)
        expect(cut.status).toBe(503)
        expect(cut.body.error.code).toBe('store_unavailable')
        const logged = entries.find((entry) => entry.message.startsWith('store unavailable'))
        expect(logged?.data).toMatchObject({ code: expect.stringMatching(/^(CONNECTION_|ECONN)/) })

        await proxy.up()
        await eventually(async () => (await user.call('GET', `/orders/${order.id}`)).status === 200, 10_000)
      } finally {
        await server.close()
        await sim.close()
        await proxy.close()
        await database.drop()
      }
    },
  )
})
