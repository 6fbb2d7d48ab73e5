// A stand-in for an app's backend that takes tma-pay's notifications: records every POST and answers
// with the status the script gives for it (e.g. 500, 500, then 200).
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { PayNotification } from 'tma-pay/server'

export interface ReceivedNotification {
  rawBody: string
  body: PayNotification
  headers: IncomingHttpHeaders
  /** What the receiver answered. */
  status: number
}

export interface NotifyReceiver {
  url: string
  received: ReceivedNotification[]
  /** Those answered with a 2xx. */
  accepted(): ReceivedNotification[]
  close(): Promise<void>
}

/** Fails the first `failures` notifications with a 500, then answers 200. */
export const failFirst = (failures: number) => (index: number) => (index < failures ? 500 : 200)

export async function startReceiver(
  statusFor: (index: number) => number = () => 200,
): Promise<NotifyReceiver> {
  const received: ReceivedNotification[] = []
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const rawBody = Buffer.concat(chunks).toString('utf8')
    const status = statusFor(received.length)
    received.push({ rawBody, body: JSON.parse(rawBody) as PayNotification, headers: request.headers, status })
    response.writeHead(status, { 'content-type': 'text/plain' })
    response.end(status < 300 ? 'ok' : 'backend is down')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/tma-pay`,
    received,
    accepted: () => received.filter((entry) => entry.status < 300),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
