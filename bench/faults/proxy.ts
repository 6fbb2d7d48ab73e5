// A round-robin HTTP proxy on 127.0.0.1 in front of the two `tma-pay serve` instances, as a load balancer
// without health checks is in the seconds before it notices an instance is gone. Both the Mini App's
// requests and Telegram's webhook go through it.
//
// When the instance whose turn it is cannot be reached (refused: it is down; reset: it died mid-request),
// the proxy answers 502 and does NOT try the other instance. On purpose: a request the dead instance may
// already have acted on (an order half made, a payment written but not acknowledged) cannot be replayed
// safely by a proxy that knows nothing of it, and failing over only the refused ones would hide the fault
// from the paths this bench exists to test: Telegram redelivering the update, and the client repeating
// POST /orders with the same Idempotency-Key. Round robin sends the retry to the other instance next.
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ProxyStats {
  /** Requests sent on to each instance (index 0 = instance 1). */
  forwarded: number[]
  /** 502s answered per instance, because it could not be reached or died before answering. */
  badGateway: number[]
}

export interface BalancingProxy {
  /** http://127.0.0.1:PORT */
  readonly origin: string
  readonly stats: ProxyStats
  close(): Promise<void>
}

// Only these go upstream; hop-by-hop headers stay here.
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
])

export async function startProxy(upstreamPorts: readonly number[]): Promise<BalancingProxy> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  const stats: ProxyStats = {
    forwarded: upstreamPorts.map(() => 0),
    badGateway: upstreamPorts.map(() => 0),
  }
  let turn = 0

  const handle = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const index = turn++ % upstreamPorts.length
    stats.forwarded[index]! += 1
    const headers: Record<string, string | string[]> = {}
    for (const [name, value] of Object.entries(incoming.headers))
      if (value !== undefined && !hopByHop.has(name)) headers[name] = value
    const badGateway = (error: Error) => {
      stats.badGateway[index]! += 1
      if (outgoing.headersSent) {
        outgoing.destroy(error)
        return
      }
      const body = JSON.stringify({
        error: { code: 'bad_gateway', message: `instance ${index + 1}: ${error.message}` },
      })
      outgoing.writeHead(502, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      })
      outgoing.end(body)
    }
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: upstreamPorts[index],
        method: incoming.method,
        path: incoming.url,
        headers,
        agent,
      },
      (answer) => {
        const answerHeaders: Record<string, string | string[]> = {}
        for (const [name, value] of Object.entries(answer.headers))
          if (value !== undefined && !hopByHop.has(name)) answerHeaders[name] = value
        outgoing.writeHead(answer.statusCode ?? 502, answerHeaders)
        answer.pipe(outgoing)
        // The instance died after its headers: the client sees a cut response, as it would in production.
        answer.once('error', (error) => outgoing.destroy(error))
        answer.once('aborted', () => outgoing.destroy())
      },
    )
    upstream.once('error', badGateway)
    incoming.pipe(upstream)
  }

  const server = createServer(handle)
  server.keepAliveTimeout = 0
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise((resolve) => {
        agent.destroy()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
