// Open order streams held by this process: one socket each (no pooling), read as they come, counted.
import { request } from 'node:http'
import type { TelegramSimulator } from '../../src/testing/index'
import { benchProduct } from '../shared/product'

export interface OpenStreams {
  /** Streams whose socket is still open. */
  open(): number
  /** `event: order` messages and heartbeats received over all streams. */
  events(): number
  heartbeats(): number
  close(): void
}

/** Users of the held streams: 5_000_000 + i, apart from the paying users of sim-target. */
const streamUser = (i: number) => 5_000_000 + i

async function createOrder(apiUrl: string, sim: TelegramSimulator, userId: number): Promise<string> {
  const response = await fetch(`${apiUrl}/orders`, {
    method: 'POST',
    headers: { authorization: `tma ${sim.signInitData(userId)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ productId: benchProduct.id }),
    signal: AbortSignal.timeout(30_000),
  })
  const body = await response.text()
  if (response.status !== 201) throw new Error(`POST /orders answered ${response.status}: ${body}`)
  return (JSON.parse(body) as { id: string }).id
}

/** Creates `count` orders (unpaid, so their streams stay open), `concurrency` at a time. */
export async function createOrders(
  apiUrl: string,
  sim: TelegramSimulator,
  count: number,
  concurrency = 8,
): Promise<Array<{ orderId: string; userId: number }>> {
  const orders: Array<{ orderId: string; userId: number }> = []
  let next = 0
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const userId = streamUser(i)
      orders.push({ orderId: await createOrder(apiUrl, sim, userId), userId })
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return orders
}

/** Opens a stream per order and resolves once every one has sent its first event (the order as it is). */
export async function openStreams(
  apiUrl: string,
  sim: TelegramSimulator,
  orders: Array<{ orderId: string; userId: number }>,
): Promise<OpenStreams> {
  const url = new URL(apiUrl)
  let open = 0
  let events = 0
  let heartbeats = 0
  const requests: Array<ReturnType<typeof request>> = []
  const started = orders.map(
    ({ orderId, userId }) =>
      new Promise<void>((resolve, reject) => {
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path: `${url.pathname}/orders/${orderId}/stream`,
            headers: { authorization: `tma ${sim.signInitData(userId)}`, accept: 'text/event-stream' },
            agent: false,
          },
          (response) => {
            if (response.statusCode !== 200) {
              reject(new Error(`GET /orders/${orderId}/stream answered ${response.statusCode}`))
              response.resume()
              return
            }
            open++
            response.setEncoding('utf8')
            response.on('data', (text: string) => {
              const seen = text.split('event: order').length - 1
              events += seen
              heartbeats += text.split(': heartbeat').length - 1
              if (seen > 0) resolve()
            })
            response.on('close', () => {
              open--
            })
          },
        )
        req.on('error', reject)
        req.end()
        requests.push(req)
      }),
  )
  await Promise.all(started)
  return {
    open: () => open,
    events: () => events,
    heartbeats: () => heartbeats,
    close() {
      for (const req of requests) req.destroy()
    },
  }
}
