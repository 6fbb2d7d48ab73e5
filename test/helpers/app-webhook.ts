// An app's own bot webhook, for forwarding tests: records every update it gets, with its raw body and headers,
// and answers with the status (and webhook reply) the test says.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Forwarded {
  raw: string
  update: {
    update_id: number
    message?: { text?: string }
    pre_checkout_query?: { id: string; invoice_payload: string }
  }
  headers: IncomingHttpHeaders
}

/** The app's own webhook: records what it gets; `answer` says what it answers (default 200, empty). */
export async function startAppWebhook() {
  const received: Forwarded[] = []
  let answer: (update: Forwarded['update']) => { status: number; json?: unknown } = () => ({ status: 200 })
  const server = createServer(async (request, response) => {
    let raw = ''
    for await (const chunk of request) raw += chunk
    const entry = { raw, update: JSON.parse(raw), headers: request.headers }
    received.push(entry)
    const { status, json } = answer(entry.update)
    response.writeHead(status, json === undefined ? {} : { 'content-type': 'application/json' })
    response.end(json === undefined ? '' : JSON.stringify(json))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/telegram`,
    received,
    answerWith(next: typeof answer) {
      answer = next
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
