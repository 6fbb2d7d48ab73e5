// The app's backend, as far as `tma-pay serve --notify-url` is concerned: takes every notification POST,
// checks its X-Tma-Pay-Signature against the raw body, records it by event id, answers 200.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { NOTIFY_SIGNATURE_HEADER, type PayNotification, verifyNotifySignature } from '../../src/server/notify'

export interface ReceivedEvent {
  id: string
  type: PayNotification['type']
  orderId: string
  /** How many POSTs carried this id: 1, or more for redeliveries. */
  deliveries: number
}

export interface NotifyReceiver {
  url: string
  /** By event id. */
  readonly events: ReadonlyMap<string, ReceivedEvent>
  /** Every POST with a good signature. */
  posts(): number
  /** POSTs refused (401) for a missing or wrong signature, or (400) for a body that is not a notification. */
  rejected(): number
  close(): Promise<void>
}

export async function startReceiver(secret: string): Promise<NotifyReceiver> {
  const events = new Map<string, ReceivedEvent>()
  let posts = 0
  let rejected = 0
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const rawBody = Buffer.concat(chunks)
    const answer = (status: number, text: string) => {
      response.writeHead(status, { 'content-type': 'text/plain' })
      response.end(text)
    }
    if (
      !verifyNotifySignature(
        rawBody,
        request.headers[NOTIFY_SIGNATURE_HEADER.toLowerCase()] as string,
        secret,
      )
    ) {
      rejected++
      return answer(401, 'bad signature')
    }
    let body: PayNotification
    try {
      body = JSON.parse(rawBody.toString('utf8')) as PayNotification
    } catch {
      rejected++
      return answer(400, 'not JSON')
    }
    if (typeof body.id !== 'string' || typeof body.order?.id !== 'string') {
      rejected++
      return answer(400, 'not a notification')
    }
    posts++
    const seen = events.get(body.id)
    if (seen) seen.deliveries++
    else events.set(body.id, { id: body.id, type: body.type, orderId: body.order.id, deliveries: 1 })
    answer(200, 'ok')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/tma-pay`,
    events,
    posts: () => posts,
    rejected: () => rejected,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
