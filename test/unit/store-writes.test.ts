// The store's few-statement writes, on both stores: the snapshots an event keeps (worked out from the changes, not
// read back) are the order as it is read after; a status change after a read still applies to the order as it is
// when written; a job's completion claims the next one.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { newOrderId } from '../../src/core/ids'
import { newOrder } from '../../src/core/order-rules'
import { pgliteStore } from '../../src/server/store/pglite'
import { postgresStore } from '../../src/server/store/postgres'
import type { NotifiedOrderChange, PayStore } from '../../src/server/store/types'
import { freshPostgresDatabase, postgresAvailable } from '../helpers/databases'

const product = { id: 'gem', title: 'Gem', description: 'A gem.', amount: 25 }

const stores: Array<[string, () => Promise<{ store: PayStore; close(): Promise<void> }>]> = [
  [
    'pglite',
    async () => {
      const store = pgliteStore('memory://')
      return { store, close: () => store.close() }
    },
  ],
]
if (postgresAvailable)
  stores.push([
    'postgres',
    async () => {
      const db = await freshPostgresDatabase()
      const store = postgresStore(db.url)
      return {
        store,
        async close() {
          await store.close()
          await db.drop()
        },
      }
    },
  ])

describe.each(stores)('the store on %s', (name, open) => {
  let store: PayStore
  let close: () => Promise<void>
  let userId = 1000
  beforeAll(async () => {
    ;({ store, close } = await open())
    await store.migrate()
  })
  afterAll(() => close())

  async function created() {
    const order = newOrder(product, {
      id: newOrderId(),
      userId: userId++,
      quantity: 1,
      metadata: { note: 'x' },
      invoiceUrl: 'https://t.me/$x',
      ttlMs: 60_000,
    })
    await store.insertOrder(order, { source: 'server', detail: {} })
    return order
  }
  const pay = (order: { id: string; userId: number; amount: number }, chargeId: string) =>
    store.recordPayment({
      telegramPaymentChargeId: chargeId,
      invoicePayload: order.id,
      userId: order.userId,
      amount: order.amount,
      currency: 'XTR',
      source: 'telegram',
    })
  const snapshots = async (orderId: string) => (await store.orderChangesSince(orderId, 0)).map((c) => c.order)

  it('keeps, with each change, the order exactly as it is read after it', async () => {
    const order = await created()
    expect(await store.getOrder(order.id)).toEqual(order)
    const approved = await store.applyEvent(order.id, 'precheckout_approved', { source: 'telegram' })
    expect(approved?.changed).toBe(true)
    expect(await store.getOrder(order.id)).toEqual(approved?.order)
    const paid = await pay(order, `charge-${order.id}`)
    expect(paid.outcome).toBe('paid')
    const read = await store.getOrder(order.id)
    expect(read).toEqual((paid as { order: unknown }).order)
    expect(await snapshots(order.id)).toEqual([order, approved?.order, read])
    expect((await store.latestOrderChange(order.id))?.order).toEqual(read)
  })

  it('applies a status change after a read to the order as it is by then, not as it was read', async () => {
    const order = await created()
    // Read, then changed by something else (a payment) before the change that follows the read.
    expect((await store.getOrder(order.id))?.status).toBe('created')
    expect((await pay(order, `charge-${order.id}`)).outcome).toBe('paid')
    const late = await store.applyEvent(order.id, 'precheckout_approved', { source: 'telegram' })
    expect(late).toMatchObject({ changed: false, previous: 'paid', order: { status: 'paid' } })
    expect((await store.timeline(order.id)).map((event) => event.status)).toEqual(['created', 'paid'])
  })

  it('pays nothing when the charge is on record already, even right after the order was approved', async () => {
    const [a, b] = [await created(), await created()]
    expect((await pay(a, `charge-${a.id}`)).outcome).toBe('paid')
    // b read and approved here, so its payment would be the one-statement kind; the charge is a's.
    await store.getOrder(b.id)
    await store.applyEvent(b.id, 'precheckout_approved', { source: 'telegram' })
    const again = await pay(b, `charge-${a.id}`)
    expect(again.outcome).toBe('known')
    expect((await store.getOrder(b.id))?.status).toBe('processing')
    expect((await store.timeline(b.id)).map((event) => event.status)).toEqual(['created', 'processing'])
    // A redelivery of b's own charge after its payment changes nothing either.
    expect((await pay(b, `charge-${b.id}`)).outcome).toBe('paid')
    expect((await pay(b, `charge-${b.id}`)).outcome).toBe('known')
    expect((await store.timeline(b.id)).map((event) => event.status)).toEqual([
      'created',
      'processing',
      'paid',
    ])
  })

  it('claims the next due job with the completion of the last, never the one completed', async () => {
    // Whatever the earlier tests queued is done first.
    for (let job = await store.claimOutboxJob(60_000); job; )
      job = await store.completeOutboxJob(job.id, { leaseMs: 60_000 })
    const [a, b] = [await created(), await created()]
    await pay(a, `charge-${a.id}`)
    await pay(b, `charge-${b.id}`)
    const first = await store.claimOutboxJob(60_000)
    expect(first).toMatchObject({ orderId: a.id, type: 'order.paid', attempts: 1, order: { status: 'paid' } })
    const second = await store.completeOutboxJob(first!.id, { leaseMs: 60_000 })
    expect(second).toMatchObject({ orderId: b.id, type: 'order.paid', order: { id: b.id } })
    expect(await store.completeOutboxJob(second!.id, { leaseMs: 60_000 })).toBeUndefined()
    expect(await store.claimOutboxJob(60_000)).toBeUndefined()
  })

  it('marks due jobs done in batches when nothing is run for them, leaving leased ones to their worker', async () => {
    while ((await store.completeDueOutboxJobs(100)) > 0);
    const [a, b, c] = [await created(), await created(), await created()]
    for (const order of [a, b, c]) await pay(order, `charge-${order.id}`)
    const leased = await store.claimOutboxJob(60_000)
    expect(leased?.orderId).toBe(a.id)
    expect(await store.completeDueOutboxJobs(1)).toBe(1)
    expect(await store.completeDueOutboxJobs(100)).toBe(1)
    expect(await store.completeDueOutboxJobs(100)).toBe(0)
    // The leased job is still its worker's to finish.
    expect(await store.completeOutboxJob(leased!.id, { leaseMs: 60_000 })).toBeUndefined()
  })
  it('notifies each change with the change itself and the one before it, or only the id when it would not fit', async () => {
    const heard: Array<{ orderId: string; notified?: NotifiedOrderChange }> = []
    const stop = await store.listenForOrderChanges((orderId, notified) => heard.push({ orderId, notified }))
    try {
      const order = await created()
      const approved = await store.applyEvent(order.id, 'precheckout_approved', { source: 'telegram' })
      // NOTIFY's payload must be under 8000 bytes: this order's snapshot alone is over that.
      const big = newOrder(
        { ...product, description: 'é'.repeat(4100) },
        {
          id: newOrderId(),
          userId: userId++,
          quantity: 1,
          metadata: {},
          invoiceUrl: 'https://t.me/$y',
          ttlMs: 60_000,
        },
      )
      await store.insertOrder(big, { source: 'server', detail: {} })
      // PostgreSQL's instance hears its own changes twice: as they commit, and back through NOTIFY (in commit
      // order, so once the last one is back all are).
      const copies = name === 'postgres' ? 2 : 1
      await vi.waitFor(() => expect(heard.filter((h) => h.orderId === big.id)).toHaveLength(copies))
      const changes = await store.orderChangesSince(order.id, 0)
      const mine = heard.filter((h) => h.orderId === order.id).map((h) => h.notified)
      expect(mine).toHaveLength(2 * copies)
      const once = mine.filter((n, i) => mine.findIndex((m) => m?.seq === n?.seq) === i)
      expect(once.map((n) => n && { previousSeq: n.previousSeq, ...n.change() })).toEqual([
        { previousSeq: 0, seq: changes[0]!.seq, order },
        { previousSeq: changes[0]!.seq, seq: changes[1]!.seq, order: approved?.order },
      ])
      expect(heard.find((h) => h.orderId === big.id)?.notified).toBeUndefined()
      expect((await store.latestOrderChange(big.id))?.order).toEqual(big)
    } finally {
      await stop()
    }
  })
})
