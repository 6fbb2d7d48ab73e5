// The live order stream (`GET /orders/:id/stream`, Server-Sent Events): on each store, through the public
// client's watchOrder, and across two `tma-pay serve` processes sharing one PostgreSQL.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createPayClient, type Order, type OrderStatus, type PayError } from 'tma-pay'
import { liveOrderStream } from 'tma-pay/live'
import { pgliteStore } from 'tma-pay/server'
import type { TelegramSimulator } from 'tma-pay/testing'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { freshPostgresDatabase } from './helpers/databases'
import {
  createSimulator,
  createTestDatabase,
  eventually,
  type RunningServer,
  startServer,
  storeKinds,
  type TestDatabase,
  userApi,
  webhookSecret,
} from './helpers/stack'

interface StreamEvent {
  id?: string
  event?: string
  data?: string
  comment?: string
}

/** Reads a Server-Sent Events body event by event, as a browser's EventSource would. */
async function* sseEvents(response: Response): AsyncGenerator<StreamEvent> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return
    buffer += value
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const event: StreamEvent = {}
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) event.comment = line.slice(1).trim()
        const match = /^(id|event|data): ?(.*)$/.exec(line)
        if (match) event[match[1] as 'id' | 'event' | 'data'] = match[2]
      }
      yield event
    }
  }
}

const firstEventSeen = new WeakSet<Response>()

/** The `order` events of a stream until it ends (the server closes it once the order settles). */
async function ordersUntilEnd(response: Response, max = 20) {
  const events: { id: number; order: Order }[] = []
  for await (const event of sseEvents(response)) {
    if (event.event === 'order') {
      events.push({ id: Number(event.id), order: JSON.parse(event.data!) })
      firstEventSeen.add(response)
    }
    if (events.length > max) throw new Error('the stream did not end')
  }
  return events
}

let nextUserId = 41_000
const newUser = () => nextUserId++

describe.each(storeKinds)('order stream on %s', (kind) => {
  let sim: TelegramSimulator
  let database: TestDatabase
  let server: RunningServer

  beforeAll(async () => {
    sim = await createSimulator()
    database = await createTestDatabase(kind)
    server = await startServer(sim, database.open(), { streamHeartbeatMs: 200 })
  })
  afterAll(async () => {
    await server?.close()
    await sim?.close()
    await database?.remove()
  })

  const openStream = (initData: string, orderId: string, lastEventId?: number) =>
    fetch(`${server.url}/orders/${orderId}/stream`, {
      headers: {
        authorization: `tma ${initData}`,
        ...(lastEventId === undefined ? {} : { 'last-event-id': String(lastEventId) }),
      },
    })

  it('pushes each change once, in order, and ends when the order settles', async () => {
    const userId = newUser()
    const api = userApi(sim, server.url, userId)
    const order = await api.createOrder()
    const response = await openStream(api.initData, order.id)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const events = ordersUntilEnd(response)
    // A new stream starts with the order as it is: wait for that before changing it.
    await eventually(() => firstEventSeen.has(response))
    await api.call('POST', `/orders/${order.id}/client-status`, { status: 'pending' })
    expect((await sim.pay(order.invoiceUrl, { userId })).outcome).toBe('paid')
    const received = await events
    expect(received.map((event) => event.order.status)).toEqual(['created', 'pending', 'processing', 'paid'])
    // Ids are timeline positions: strictly increasing, so a resume knows exactly what was seen.
    for (const [index, event] of received.entries())
      if (index > 0) expect(event.id).toBeGreaterThan(received[index - 1]!.id)
    expect(received.at(-1)!.order.telegramPaymentChargeId).toBeTruthy()
  })

  it('a stream cut mid-way resumes from Last-Event-ID with no change lost or repeated', async () => {
    const userId = newUser()
    const api = userApi(sim, server.url, userId)
    const order = await api.createOrder()
    const abort = new AbortController()
    const first = await fetch(`${server.url}/orders/${order.id}/stream`, {
      headers: { authorization: `tma ${api.initData}` },
      signal: abort.signal,
    })
    const iterator = sseEvents(first)
    let seen: StreamEvent | undefined
    for (let next = await iterator.next(); !next.done; next = await iterator.next())
      if (next.value.event === 'order') {
        seen = next.value
        break
      }
    expect(JSON.parse(seen!.data!).status).toBe('created')
    abort.abort()
    // While no stream is open, the order moves on.
    await api.call('POST', `/orders/${order.id}/client-status`, { status: 'pending' })
    expect((await sim.pay(order.invoiceUrl, { userId })).outcome).toBe('paid')
    await eventually(async () => (await api.getOrder(order.id)).status === 'paid')
    const resumed = await ordersUntilEnd(await openStream(api.initData, order.id, Number(seen!.id)))
    expect(resumed.map((event) => event.order.status)).toEqual(['pending', 'processing', 'paid'])
    // Resuming after the last event of a settled order: nothing more to say, the stream just ends.
    expect(await ordersUntilEnd(await openStream(api.initData, order.id, resumed.at(-1)!.id))).toEqual([])
  })

  it('a settled order streams once and ends; owners only; heartbeats keep it alive', async () => {
    const userId = newUser()
    const api = userApi(sim, server.url, userId)
    const order = await api.createOrder()
    await api.call('POST', `/orders/${order.id}/client-status`, { status: 'cancelled' })
    const once = await ordersUntilEnd(await openStream(api.initData, order.id))
    expect(once.map((event) => event.order.status)).toEqual(['cancelled'])

    const stranger = userApi(sim, server.url, newUser())
    const foreign = await openStream(stranger.initData, order.id)
    expect(foreign.status).toBe(404)
    expect((await foreign.json()).error.code).toBe('not_found')
    const anonymous = await fetch(`${server.url}/orders/${order.id}/stream`)
    expect(anonymous.status).toBe(401)
    const badId = await openStream(api.initData, order.id, 'x' as never)
    expect(badId.status).toBe(400)

    const open = await api.createOrder()
    const abort = new AbortController()
    const response = await fetch(`${server.url}/orders/${open.id}/stream`, {
      headers: { authorization: `tma ${api.initData}` },
      signal: abort.signal,
    })
    const comments: string[] = []
    for await (const event of sseEvents(response)) {
      if (event.comment) comments.push(event.comment)
      if (comments.length >= 2) break
    }
    abort.abort()
    expect(comments).toEqual(['heartbeat', 'heartbeat'])
  })

  it("the client's watchOrder follows a paid order, reconnecting after a cut without losing a change", async () => {
    const userId = newUser()
    const api = userApi(sim, server.url, userId)
    const order = await api.createOrder()
    let connections = 0
    const lastEventIds: (string | null)[] = []
    // The first connection breaks after its first event, as a flaky mobile network would.
    const flakyFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      connections++
      lastEventIds.push(new Headers(init?.headers).get('last-event-id'))
      if (connections > 1 || !response.body) return response
      const reader = response.body.getReader()
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { value, done } = await reader.read()
          if (done) return controller.close()
          controller.enqueue(value)
          if (new TextDecoder().decode(value).includes('event: order')) {
            await reader.cancel()
            controller.error(new TypeError('network connection lost'))
          }
        },
      })
      return new Response(body, { status: response.status, headers: response.headers })
    }
    const client = createPayClient({
      baseUrl: server.url,
      orderStream: liveOrderStream,
      initData: api.initData,
      fetch: flakyFetch,
      retryDelayMs: 20,
    })
    const statuses: OrderStatus[] = []
    const watching = client.watchOrder(order.id, (changed) => statuses.push(changed.status))
    await eventually(() => connections >= 2 && statuses.length >= 1)
    await api.call('POST', `/orders/${order.id}/client-status`, { status: 'pending' })
    expect((await sim.pay(order.invoiceUrl, { userId })).outcome).toBe('paid')
    const settled = await watching
    expect(settled.status).toBe('paid')
    expect(statuses).toEqual(['created', 'pending', 'processing', 'paid'])
    expect(lastEventIds[0]).toBeNull()
    expect(lastEventIds[1]).toMatch(/^\d+$/)
  })

  it('watchOrder follows an order whose metadata holds U+2028, U+2029 and other awkward text, on the stream alone', async () => {
    const userId = newUser()
    const requests: string[] = []
    const countingFetch: typeof fetch = (input, init) => {
      requests.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`)
      return fetch(input, init)
    }
    const client = createPayClient({
      baseUrl: server.url,
      orderStream: liveOrderStream,
      initData: sim.signInitData(userId),
      fetch: countingFetch,
    })
    // JSON.stringify leaves U+2028 and U+2029 raw, and a regex `.` stops at them (issue 9). The rest breaks
    // naive SSE or JSON handling in other ways: CR and LF, escapes, SSE syntax inside a value, astral
    // characters, a BOM and noncharacters. \u0000 is left out: PostgreSQL cannot store it.
    const metadata = {
      lineSeparator: 'before\u2028after',
      paragraphSeparator: 'before\u2029after',
      'key\u2028with\u2029separators': '\u2029\u2028',
      carriageReturns: 'a\rb\r\nc\n\rd\r',
      sseLookalike: 'x\n\nid: 999\nevent: order\ndata: {"status":"paid"}\n\n: comment\r\n',
      quotes: `"double" 'single' \`back\``,
      backslashes: '\\ \\\\ \\n \\u2028 \\"',
      emoji: '🧙‍♂️💳⭐️🇺🇦',
      astral: '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𠜎 \u{10FFFF}',
      controls: '\u0001\u001f\u007f\u0085\u00a0',
      specials: '\ufeff\ufffe\uffff\ufffd',
    }
    const order = await client.createOrder({ productId: 'magic-book', metadata })
    expect(order.metadata).toEqual(metadata)
    const abort = new AbortController()
    onTestFinished(() => abort.abort())
    const seen: Order[] = []
    const watching = client.watchOrder(order.id, (changed) => seen.push(changed), { signal: abort.signal })
    // Awaited below; this keeps a failure before then from also reporting an unhandled rejection.
    watching.catch(() => {})
    // A new stream starts with the order as it is; a parser that cannot read the event never shows it.
    await expect
      .poll(() => seen.map((changed) => changed.status), { timeout: 10_000, interval: 20 })
      .toEqual(['created'])
    await client.reportClientStatus(order.id, 'pending')
    expect((await sim.pay(order.invoiceUrl, { userId })).outcome).toBe('paid')
    const settled = await watching
    expect(seen.map((changed) => changed.status)).toEqual(['created', 'pending', 'processing', 'paid'])
    for (const changed of seen) expect(changed.metadata).toEqual(metadata)
    expect(settled).toEqual(seen.at(-1))
    // Every change came over the one stream: no reconnect, no poll of GET /orders/:id.
    expect(requests).toEqual([
      'POST /orders',
      `GET /orders/${order.id}/stream`,
      `POST /orders/${order.id}/client-status`,
    ])
  })

  it('watchOrder polls when there is no stream, rejects on a 4xx, and keeps trying through network trouble', async () => {
    const api = userApi(sim, server.url, newUser())
    const order = await api.createOrder()
    // No stream (a proxy refusing it): the paid order is found by polling.
    const requests: string[] = []
    const noStream: typeof fetch = async (input, init) => {
      const path = new URL(String(input)).pathname
      requests.push(path)
      return path.endsWith('/stream') ? new Response('no', { status: 502 }) : fetch(input, init)
    }
    const polling = createPayClient({
      baseUrl: server.url,
      initData: api.initData,
      fetch: noStream,
      orderStream: liveOrderStream,
    })
    const statuses: OrderStatus[] = []
    const watching = polling.watchOrder(order.id, (changed) => statuses.push(changed.status), {
      pollInitialMs: 50,
      pollMaxMs: 100,
    })
    await eventually(() => statuses.length >= 1)
    expect((await sim.pay(order.invoiceUrl, { userId: order.userId })).outcome).toBe('paid')
    expect((await watching).status).toBe('paid')
    expect(statuses.at(-1)).toBe('paid')
    expect(requests.filter((path) => path.endsWith('/stream'))).toHaveLength(1)
    expect(requests.filter((path) => path === `/orders/${order.id}`).length).toBeGreaterThanOrEqual(2)

    // Someone else's order: a 404, which no retry will change.
    const stranger = createPayClient({ baseUrl: server.url, initData: sim.signInitData(newUser()) })
    const error = (await stranger
      .watchOrder(order.id, () => {}, { pollInitialMs: 10 })
      .catch((e) => e)) as PayError
    expect(error.code).toBe('not_found')

    // The server unreachable: still trying (a phone in a tunnel), until the caller gives up.
    let attempts = 0
    const down: typeof fetch = async (input, init) => {
      attempts++
      return fetch(input, init)
    }
    const nowhere = createPayClient({
      baseUrl: 'http://127.0.0.1:9',
      initData: api.initData,
      retryDelayMs: 1,
      fetch: down,
    })
    const abort = new AbortController()
    const gaveUp = nowhere.watchOrder(order.id, () => {}, {
      signal: abort.signal,
      pollInitialMs: 10,
      pollMaxMs: 20,
    })
    await eventually(() => attempts >= 10)
    abort.abort(new Error('left the page'))
    expect(((await gaveUp.catch((e) => e)) as Error).message).toBe('left the page')
  })
})

describe('order stream shutdown', () => {
  it('caps the streams one user holds open; a closed one frees its place', async () => {
    const sim = await createSimulator()
    const local = await startServer(sim, pgliteStore('memory://'), { maxStreamsPerUser: 2 })
    try {
      const api = userApi(sim, local.url, newUser())
      const order = await api.createOrder()
      const aborts = [new AbortController(), new AbortController()]
      const open = (signal?: AbortSignal) =>
        fetch(`${local.url}/orders/${order.id}/stream`, {
          headers: { authorization: `tma ${api.initData}` },
          signal,
        })
      for (const abort of aborts) expect((await open(abort.signal)).status).toBe(200)
      const third = await open()
      expect(third.status).toBe(429)
      expect((await third.json()).error.code).toBe('rate_limited')
      // Another user is not held back by this one.
      const other = userApi(sim, local.url, newUser())
      const theirs = await other.createOrder()
      const otherAbort = new AbortController()
      const otherStream = await fetch(`${local.url}/orders/${theirs.id}/stream`, {
        headers: { authorization: `tma ${other.initData}` },
        signal: otherAbort.signal,
      })
      expect(otherStream.status).toBe(200)
      otherAbort.abort()
      aborts[0]!.abort()
      const again = await eventually(async () => {
        const response = await open()
        if (response.status === 200) return response
        await response.body?.cancel()
        return undefined
      })
      expect(again.status).toBe(200)
      await again.body?.cancel()
      aborts[1]!.abort()
    } finally {
      await local.close()
      await sim.close()
    }
  })

  it('closing the server ends open streams', async () => {
    const sim = await createSimulator()
    const local = await startServer(sim, pgliteStore('memory://'))
    const api = userApi(sim, local.url, newUser())
    const order = await api.createOrder()
    const response = await fetch(`${local.url}/orders/${order.id}/stream`, {
      headers: { authorization: `tma ${api.initData}` },
    })
    const iterator = sseEvents(response)
    let first = await iterator.next()
    while (!first.done && first.value.event !== 'order') first = await iterator.next()
    expect(JSON.parse(first.value!.data!).status).toBe('created')
    await local.pay.close()
    let rest = 0
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest++
    expect(rest).toBe(0)
    await local.close().catch(() => {})
    await sim.close()
  })
})

// Several instances behind a load balancer: the stream is held on one, the payment lands on the other.
describe('order stream across two tma-pay serve processes', () => {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const children: ChildProcess[] = []
  let sim: TelegramSimulator
  let drop: (() => Promise<void>) | undefined

  afterAll(async () => {
    for (const child of children) child.kill('SIGTERM')
    await Promise.all(
      children.map((child) =>
        child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined,
      ),
    )
    await sim?.close()
    await drop?.()
  })

  async function serve(databaseUrl: string): Promise<string> {
    const child = spawn(
      process.execPath,
      [
        'bin/tma-pay.mjs',
        'serve',
        '--products',
        'examples/products.json',
        '--store',
        databaseUrl,
        '--port',
        '0',
        '--bot-token',
        sim.botToken,
        '--api-root',
        sim.url,
        '--webhook-secret',
        webhookSecret,
      ],
      {
        cwd: root,
        env: { PATH: process.env.PATH, TMA_PAY_CLI_FROM_SOURCE: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    children.push(child)
    let output = ''
    child.stdout!.on('data', (chunk) => (output += chunk))
    child.stderr!.on('data', (chunk) => (output += chunk))
    return eventually(() => {
      if (child.exitCode !== null) throw new Error(`tma-pay serve exited:\n${output}`)
      return /^tma-pay listening on (http:\/\/\S+)$/m.exec(output)?.[1]
    }, 30_000)
  }

  it('a payment applied by one instance reaches a stream held on the other', async () => {
    sim = await createSimulator()
    const database = await freshPostgresDatabase()
    drop = () => database.drop()
    const [first, second] = await Promise.all([serve(database.url), serve(database.url)])
    // Telegram delivers to the first instance only.
    const setWebhook = await fetch(`${sim.url}/bot${sim.botToken}/setWebhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${first}/telegram/webhook`, secret_token: webhookSecret }),
    })
    expect(setWebhook.status).toBe(200)

    const userId = newUser()
    const onFirst = userApi(sim, first!, userId)
    const order = await onFirst.createOrder('magic-book')
    const client = createPayClient({
      baseUrl: second!,
      initData: onFirst.initData,
      orderStream: liveOrderStream,
    })
    const statuses: OrderStatus[] = []
    const watching = client.watchOrder(order.id, (changed) => statuses.push(changed.status))
    await eventually(() => statuses.length === 1)
    expect((await sim.pay(order.invoiceUrl, { userId })).outcome).toBe('paid')
    const started = Date.now()
    const settled = await watching
    expect(settled.status).toBe('paid')
    expect(statuses).toEqual(['created', 'processing', 'paid'])
    // LISTEN/NOTIFY, not the 15 s heartbeat, carried it across.
    expect(Date.now() - started).toBeLessThan(5000)
  })
})
