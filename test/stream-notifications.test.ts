// The live path's reads (issue 14): a change's NOTIFY carries the change, so an order stream that has sent the
// change before it sends this one without reading the timeline. A notification that does not say it follows what
// the stream sent (one lost in a reconnect, one that came as a bare id) makes the stream read, so no change is
// skipped or sent twice.
import type { Order } from 'tma-pay'
import type { NotifiedOrderChange, PayStore } from 'tma-pay/server'
import type { TelegramSimulator } from 'tma-pay/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createSimulator,
  createTestDatabase,
  eventually,
  type RunningServer,
  type StoreKind,
  startServer,
  storeKinds,
  type TestDatabase,
  userApi,
} from './helpers/stack'

type Listener = (orderId: string, notified?: NotifiedOrderChange) => void

/** What the stream's store saw: timeline reads done per order, and a hook on each notification heard. */
interface Probe {
  readsDone: Map<string, number>
  /** Returns what the stream gets for this notification: it, another, or nothing (dropped). */
  onNotice: (
    orderId: string,
    notified?: NotifiedOrderChange,
  ) => { notified?: NotifiedOrderChange } | undefined
}

function probed(store: PayStore, probe: Probe): PayStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'orderChangesSince')
        return (orderId: string, afterSeq: number) =>
          target.orderChangesSince(orderId, afterSeq).finally(() => {
            probe.readsDone.set(orderId, (probe.readsDone.get(orderId) ?? 0) + 1)
          })
      if (property === 'listenForOrderChanges')
        return (listener: Listener) =>
          target.listenForOrderChanges((orderId, notified) => {
            const passed = probe.onNotice(orderId, notified)
            if (passed) listener(orderId, passed.notified)
          })
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

interface StreamedOrder {
  id: number
  order: Order
}

/** The `order` events of a stream until the server ends it; `onFirst` runs once the first one is in. */
async function streamedOrders(response: Response, onFirst: () => void): Promise<StreamedOrder[]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  const events: StreamedOrder[] = []
  let buffer = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return events
    buffer += value
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const lines = buffer.slice(0, end).split('\n')
      buffer = buffer.slice(end + 2)
      const id = lines.find((line) => line.startsWith('id: '))
      const data = lines.find((line) => line.startsWith('data: '))
      if (!lines.includes('event: order') || !id || !data) continue
      events.push({ id: Number(id.slice(4)), order: JSON.parse(data.slice(6)) })
      if (events.length === 1) onFirst()
    }
  }
}

let nextUserId = 47_000

describe.each(storeKinds)('order stream notifications on %s', (kind: StoreKind) => {
  let sim: TelegramSimulator
  let database: TestDatabase
  let server: RunningServer
  let store: PayStore
  const probe: Probe = { readsDone: new Map(), onNotice: (_, notified) => ({ notified }) }

  beforeAll(async () => {
    sim = await createSimulator()
    database = await createTestDatabase(kind)
    // No heartbeat within a test: each read counted is one the stream chose to make.
    store = database.open()
    server = await startServer(sim, probed(store, probe), { streamHeartbeatMs: 600_000 })
  })
  afterAll(async () => {
    await server?.close()
    await sim?.close()
    await database?.remove()
  })

  /** Pays a new order while a stream watches it; the stream's events and the reads it made after it started. */
  async function payWhileStreaming() {
    const userId = nextUserId++
    const api = userApi(sim, server.url, userId)
    const order = await api.createOrder()
    const response = await fetch(`${server.url}/orders/${order.id}/stream`, {
      headers: { authorization: `tma ${api.initData}` },
    })
    expect(response.status).toBe(200)
    let first = false
    const events = streamedOrders(response, () => {
      first = true
    })
    // The stream's first read (after the order as it is) is done: every read from here on is a wake-up's.
    await eventually(() => first && probe.readsDone.get(order.id) === 1)
    await api.call('POST', `/orders/${order.id}/client-status`, { status: 'pending' })
    expect((await sim.pay(order.invoiceUrl, { userId })).outcome).toBe('paid')
    const received = await events
    await sim.idle()
    const timeline = (await store.timeline(order.id)).map((event) => event.status)
    return { order, received, timeline, reads: (probe.readsDone.get(order.id) ?? 0) - 1 }
  }

  it('sends each change its notification carries without reading the timeline', async () => {
    const { received, reads } = await payWhileStreaming()
    expect(received.map((event) => event.order.status)).toEqual(['created', 'pending', 'processing', 'paid'])
    expect(reads).toBe(0)
    expect(received.at(-1)!.order.telegramPaymentChargeId).toBeTruthy()
  })

  it('reads the timeline for a change after a lost notification, and skips nothing', async () => {
    let dropped = 0
    probe.onNotice = (_, notified) => {
      // The pre-checkout's change (`processing`) never reaches the stream, as in a LISTEN reconnect.
      if (notified?.change().order.status === 'processing') {
        dropped++
        return undefined
      }
      return { notified }
    }
    try {
      const { received, reads } = await payWhileStreaming()
      // On PostgreSQL a change is heard twice: from this instance as it commits, and back through NOTIFY.
      expect(dropped).toBeGreaterThanOrEqual(1)
      expect(received.map((event) => event.order.status)).toEqual([
        'created',
        'pending',
        'processing',
        'paid',
      ])
      for (const [index, event] of received.entries())
        if (index > 0) expect(event.id).toBeGreaterThan(received[index - 1]!.id)
      expect(reads).toBe(1)
    } finally {
      probe.onNotice = (_, notified) => ({ notified })
    }
  })

  it('reads the timeline for a notification that carries only the order id', async () => {
    probe.onNotice = () => ({})
    try {
      const { received, reads, timeline } = await payWhileStreaming()
      expect(received.map((event) => event.order.status)).toEqual([
        'created',
        'pending',
        'processing',
        'paid',
      ])
      expect(timeline).toEqual(['created', 'pending', 'processing', 'paid'])
      expect(reads).toBeGreaterThanOrEqual(3)
    } finally {
      probe.onNotice = (_, notified) => ({ notified })
    }
  })
})
