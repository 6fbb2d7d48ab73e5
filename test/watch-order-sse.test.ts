// watchOrder's reading of the order stream, byte by byte. A scripted server (a `fetch` answering with a body
// the test controls) sends orders whose metadata hold every code point JSON can carry, in the forms the SSE
// spec allows (CR, LF and CRLF line ends, comments, `retry:` lines, fields in any order, data split over
// lines, events that are not orders), cut into chunks at awkward places and broken off mid-way.
import { createPayClient, type Order } from 'tma-pay'
import { liveOrderStream } from 'tma-pay/live'
import { describe, expect, it } from 'vitest'

type Ending = '\n' | '\r\n' | '\r'
type Line = readonly [text: string, ending: Ending]
/** One order event and what precedes it; a resume after an id sends the groups with greater ids. */
interface Group {
  id: number
  order: Order
  lines: Line[]
}

const encoder = new TextEncoder()

const order = (id: number, status: Order['status'], metadata: Record<string, string>) =>
  ({ id: `ord_${id}`, status, metadata }) as Order
// Settled, so a client that took it for one of our orders would stop there and resolve with it.
const decoy = JSON.stringify(order(999, 'paid', { decoy: 'not an order event' }))

/**
 * The bytes of the groups, and for each group the byte offset just past the first character of its last
 * line's ending: the blank line that dispatches the order event is complete once that CR or LF is in.
 */
function encode(groups: Group[], bom = true) {
  let text = bom ? '\ufeff' : ''
  let length = encoder.encode(text).length
  let previous: Ending | undefined
  const dispatchedAt: number[] = []
  for (const group of groups) {
    for (const [line, ending] of group.lines) {
      // CR then an empty line ended by LF reads as one CRLF: the blank line would vanish.
      if (previous === '\r' && line === '' && ending === '\n')
        throw new Error('ambiguous script: CR, then LF')
      text += line + ending
      length += encoder.encode(line + ending).length
      previous = ending
    }
    dispatchedAt.push(length - group.lines.at(-1)![1].length + 1)
  }
  return { bytes: encoder.encode(text), dispatchedAt }
}

type Plan = { chunks: Uint8Array[]; end: 'close' | 'error' }

/**
 * A fetch serving `GET /orders/:id/stream` from a plan per connection, given the Last-Event-ID it was sent.
 * Anything else is refused with a 404: a client that fell back to polling rejects at once.
 */
function scriptedServer(plan: (lastEventId: string | null, connection: number) => Plan) {
  const lastEventIds: (string | null)[] = []
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const path = new URL(String(input)).pathname
    if (path !== '/pay/orders/ord_1/stream')
      return Response.json(
        { error: { code: 'not_found', message: `this server only streams, and was asked for ${path}` } },
        { status: 404 },
      )
    const lastEventId = new Headers(init?.headers).get('last-event-id')
    lastEventIds.push(lastEventId)
    const { chunks, end } = plan(lastEventId, lastEventIds.length)
    let next = 0
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (next < chunks.length) controller.enqueue(chunks[next++]!)
          else if (end === 'error') controller.error(new TypeError('network connection lost'))
          else controller.close()
        },
      },
      { highWaterMark: 0 },
    )
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
  }
  return { fetch, lastEventIds }
}

/** Watches ord_1 to the end; each order shown comes with the connection it arrived on (1, 2, …). */
async function watch(server: ReturnType<typeof scriptedServer>) {
  const client = createPayClient({
    baseUrl: 'https://shop.test/pay',
    fetch: server.fetch,
    retryDelayMs: 0,
    orderStream: liveOrderStream,
  })
  const shown: { order: Order; connection: number }[] = []
  const settled = await client.watchOrder('ord_1', (changed) =>
    shown.push({ order: changed, connection: server.lastEventIds.length }),
  )
  expect(settled).toBe(shown.at(-1)!.order)
  return shown
}

const resumeAfter = (groups: Group[], lastEventId: string | null) => {
  if (lastEventId !== null && !groups.some((group) => String(group.id) === lastEventId))
    throw new Error(`Last-Event-ID ${lastEventId} was never sent`)
  return groups.filter((group) => lastEventId === null || group.id > Number(lastEventId))
}

/**
 * Connection 1 gets `first`; later ones get the rest of the stream after their Last-Event-ID, whole. Checks
 * that every order is shown once and in order, and that each reconnect named the last order shown.
 */
async function expectAllShown(
  groups: Group[],
  first: Plan,
  rest = (after: Group[]) => [encode(after).bytes],
) {
  const server = scriptedServer((lastEventId, connection) =>
    connection === 1 ? first : { chunks: rest(resumeAfter(groups, lastEventId)), end: 'close' },
  )
  const shown = await watch(server)
  expect(shown.map((entry) => entry.order)).toEqual(groups.map((group) => group.order))
  for (const [index, lastEventId] of server.lastEventIds.entries()) {
    const before = shown.filter((entry) => entry.connection <= index).at(-1)
    expect(lastEventId).toBe(before ? before.order.id.slice('ord_'.length) : null)
  }
  return { shown, connections: server.lastEventIds.length }
}

describe('watchOrder reads the SSE syntax, not one server’s spelling of it', () => {
  const json = (value: Order, indent?: number) => JSON.stringify(value, null, indent)
  const created = order(1, 'created', { separators: 'a\u2028b\u2029c', key: 'x' })
  const pending = order(2, 'pending', { 'two\u2028bytes\u2029': 'é€𝄞\u2028"\\\u0001' })
  const processing = order(3, 'processing', { pretty: 'printed\u2029', astral: '\u{10FFFF}🧙‍♂️' })
  const paid = order(4, 'paid', { last: '\u2028', cr: '\r\n' })
  // By hand, to hold each form at least once; each group's last line is its order event's blank line.
  const groups: Group[] = [
    {
      id: 1,
      order: created,
      lines: [
        [': order stream', '\n'],
        ['retry: 1000', '\r\n'],
        ['', '\r\n'],
        // Fields in any order; the id comes last.
        ['event: order', '\r\n'],
        [`data: ${json(created)}`, '\r\n'],
        ['id: 1', '\r\n'],
        ['', '\r\n'],
      ],
    },
    {
      id: 2,
      order: pending,
      lines: [
        [':heartbeat', '\r'],
        ['', '\r'],
        // An event with no type is a `message`, not an order.
        [`data: ${decoy}`, '\n'],
        ['', '\n'],
        // Only one space after the colon is dropped: this type is " order".
        ['event:  order', '\n'],
        [`data:${decoy}`, '\n'],
        ['', '\n'],
        // No data: nothing is dispatched.
        ['event: order', '\r'],
        ['', '\r\n'],
        // `event` alone sets the type to the empty string; unknown fields are ignored.
        ['event: order', '\n'],
        ['foo: bar', '\n'],
        ['event', '\n'],
        [`data: ${decoy}`, '\n'],
        ['', '\n'],
        ['event: Order', '\n'],
        [`data: ${decoy}`, '\n'],
        ['', '\n'],
        // No space after the colons; `data` alone adds an empty line to the data.
        ['id:2', '\r'],
        ['data', '\r'],
        ['event:order', '\r'],
        [`data:${json(pending)}`, '\r'],
        ['', '\r'],
      ],
    },
    {
      id: 3,
      order: processing,
      lines: [
        // Data lines are joined with LF: JSON spread over several of them parses as one.
        ...json(processing, 1)
          .split('\n')
          .map((text, index): Line => [`data: ${text}`, (['\n', '\r\n', '\r'] as const)[index % 3]!]),
        ['retry: 1000', '\n'],
        ['event: order', '\n'],
        ['id: 3', '\r\n'],
        ['', '\n'],
      ],
    },
    {
      id: 4,
      order: paid,
      lines: [
        ['id: 4', '\r'],
        ['event: order', '\r'],
        [`data: ${json(paid)}`, '\r'],
        // Not a lone CR last: one that ends the stream could be half a CRLF, so it ends no line.
        ['', '\r\n'],
      ],
    },
  ]
  const { bytes, dispatchedAt } = encode(groups)

  it('one byte at a time', async () => {
    const oneByOne = Array.from(bytes, (byte) => Uint8Array.of(byte))
    expect((await expectAllShown(groups, { chunks: oneByOne, end: 'close' })).connections).toBe(1)
  })

  it('in two chunks split at every byte: inside CRLFs, the BOM and multi-byte characters', async () => {
    for (let at = 0; at <= bytes.length; at++) {
      const chunks = [bytes.subarray(0, at), bytes.subarray(at)]
      expect((await expectAllShown(groups, { chunks, end: 'close' })).connections, `split at ${at}`).toBe(1)
    }
  })

  it('cut off after every byte, then resumed from the last order shown', async () => {
    for (let at = 0; at <= bytes.length; at++)
      for (const end of ['close', 'error'] as const) {
        const { shown } = await expectAllShown(groups, { chunks: [bytes.subarray(0, at)], end })
        const onFirst = shown.filter((entry) => entry.connection === 1).length
        // An order counts once its blank line has ended, except by a CR that came last: that may be half a
        // CRLF, so it waits (and the order comes again after the reconnect). An error also discards text
        // the decoder still held unread, so fewer may count, but never an order whose blank line is missing.
        const complete = dispatchedAt.filter(
          (offset) => offset < at || (offset === at && bytes[at - 1] === 0x0a),
        ).length
        if (end === 'close') expect(onFirst, `closed after ${at}`).toBe(complete)
        else expect(onFirst, `broken after ${at}`).toBeLessThanOrEqual(complete)
      }
  })
})

/** mulberry32: a small seeded generator, so a failure replays the same stream. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('watchOrder carries every code point JSON can', () => {
  const next = random(9)
  const pick = <T>(choices: readonly T[]) => choices[Math.floor(next() * choices.length)]!

  // U+0001..U+10FFFF without the surrogates, shuffled so every event mixes 1- to 4-byte characters.
  const codePoints: number[] = []
  for (let codePoint = 1; codePoint <= 0x10ffff; codePoint++)
    if (codePoint < 0xd800 || codePoint > 0xdfff) codePoints.push(codePoint)
  for (let index = codePoints.length - 1; index > 0; index--) {
    const other = Math.floor(next() * (index + 1))
    ;[codePoints[index], codePoints[other]] = [codePoints[other]!, codePoints[index]!]
  }
  const ORDERS = 64
  const VALUES = 16
  const perValue = Math.ceil(codePoints.length / (ORDERS * VALUES))
  const orders = Array.from({ length: ORDERS }, (_, index) => {
    const metadata: Record<string, string> = {}
    for (let value = 0; value < VALUES; value++) {
      const start = (index * VALUES + value) * perValue
      metadata[`${value % 3 ? 'k' : '\u2028'}${value}`] = String.fromCodePoint(
        ...codePoints.slice(start, start + perValue),
      )
    }
    return order(index + 1, index === 0 ? 'created' : index === ORDERS - 1 ? 'paid' : 'pending', metadata)
  })

  // Random framing with the same rng: endings per line, decoys between orders, fields shuffled.
  const frame = (texts: string[]): Line[] => texts.map((text) => [text, pick(['\n', '\r\n', '\r'] as const)])
  const decoys = [
    [': heartbeat', ''],
    [':', ''],
    ['retry: 1000', ''],
    ['event: message', `data: ${decoy}`, ''],
    [`data: ${decoy}`, ''],
    ['event:  order', `data: ${decoy}`, ''],
    ['event: order', ''],
  ]
  const groupFor = (value: Order): Group => {
    const id = Number(value.id.slice('ord_'.length))
    const data =
      next() < 0.5
        ? [`${pick(['data: ', 'data:'])}${JSON.stringify(value)}`]
        : [
            'data',
            ...JSON.stringify(value, null, pick([1, '\t']))
              .split('\n')
              .map((text) => `data: ${text}`),
          ]
    const fields = [pick([`id: ${id}`, `id:${id}`]), pick(['event: order', 'event:order']), ': in between']
    // Fields in a random order; data lines keep theirs.
    const lines: string[] = [...data]
    for (const field of fields) lines.splice(Math.floor(next() * (lines.length + 1)), 0, field)
    const before = Array.from({ length: Math.floor(next() * 3) }, () => pick(decoys)).flat()
    const framed = frame([...before, ...lines, ''])
    // The guard in `encode`: an empty line after a lone CR must not end with a lone LF.
    for (let index = 1; index < framed.length; index++)
      if (framed[index]![0] === '' && framed[index - 1]![1] === '\r' && framed[index]![1] === '\n')
        framed[index] = ['', '\r\n']
    return { id, order: value, lines: framed }
  }
  const groups = orders.map(groupFor)
  // The stream's last blank line must not end in a lone CR, which could be half a CRLF (see above).
  groups.at(-1)!.lines.splice(-1, 1, ['', '\r\n'])
  const { bytes, dispatchedAt } = encode(groups)

  /** Chunks of 1 byte to 64 KB, also cut between every CR and LF and inside every U+2028 and U+2029. */
  function chunk(data: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer>[] {
    const cuts = new Set<number>()
    for (let at = Math.floor(next() * 65536); at < data.length; at += 1 + Math.floor(next() * 65536))
      cuts.add(at)
    for (let at = 1; at < data.length; at++) {
      if (data[at - 1] === 0x0d && data[at] === 0x0a) cuts.add(at)
      // E2 80 A8 / E2 80 A9: U+2028 / U+2029, cut after its first or second byte.
      if (data[at - 1] === 0xe2 && data[at] === 0x80 && (data[at + 1] === 0xa8 || data[at + 1] === 0xa9))
        cuts.add(at + Math.floor(next() * 2))
      // A 4-byte character's lead byte: cut after 1, 2 or 3 of its bytes now and then.
      if (data[at]! >= 0xf0 && next() < 0.01) cuts.add(at + 1 + Math.floor(next() * 3))
    }
    const sorted = [...cuts].filter((at) => at > 0 && at < data.length).sort((a, b) => a - b)
    return [0, ...sorted].map((at, index) => data.subarray(at, sorted[index] ?? data.length))
  }

  it('all of them arrive intact and in order, across a reconnect mid-event', async () => {
    expect(codePoints).toHaveLength(0x10ffff - 0x800)
    expect(orders.flatMap((value) => Object.values(value.metadata)).join('')).toHaveLength(
      codePoints.length + codePoints.filter((codePoint) => codePoint > 0xffff).length,
    )
    expect(bytes.length).toBeGreaterThan(4_000_000)
    // Ended halfway through the 33rd order's event: the client must name the 32nd on reconnect, and get the
    // 33rd whole. A clean end, as an error discards text the decoder still held unread (see above).
    const cut = Math.floor((dispatchedAt[31]! + dispatchedAt[32]!) / 2)
    const { shown, connections } = await expectAllShown(
      groups,
      { chunks: chunk(bytes.subarray(0, cut)), end: 'close' },
      (after) => chunk(encode(after).bytes),
    )
    expect(connections).toBe(2)
    expect(shown.filter((entry) => entry.connection === 1)).toHaveLength(32)
  })
})
