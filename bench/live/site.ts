// The Mini App's origin, on 127.0.0.1: the page, its script (src/core bundled for the browser by esbuild),
// and (with --api proxy) /api/pay/* proxied to `tma-pay serve`. The proxy streams each chunk through as it
// comes and notes, per order, when the first chunk holding `"status":"paid"` passed: the split between the
// server's part of the latency and the browser's. With --api direct the page calls the server cross-origin.
import { createServer, Agent as HttpAgent, type IncomingMessage, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/** The bench's clock: wall time in ms with sub-ms resolution, as the page's. */
export const benchNow = () => performance.timeOrigin + performance.now()

export interface Site {
  url: string
  /** Proxies `/api/pay` to `apiUrl` (the pay server's base URL, ending in /api/pay) from now on. */
  proxyTo(apiUrl: string): void
  /** When a response carrying the order as paid first passed the proxy (benchNow), per order; forgotten once taken. */
  takePaidPassed(orderId: string): number | undefined
  /** Bytes of the page's script. */
  scriptBytes: number
  close(): Promise<void>
}

async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./page.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}

const page =
  '<!doctype html><meta charset="utf-8"><title>tma-pay live bench</title><script src="/page.js"></script>'

const orderOf = (path: string) => /^\/api\/pay\/orders\/([^/?]+)/.exec(path)?.[1]

/** Serves the page, and `/api/pay` once `proxyTo` says where it is. */
export async function startSite(): Promise<Site> {
  const script = await bundlePage()
  let upstream: URL | undefined
  const agent = new HttpAgent({ keepAlive: true })
  const paidPassed = new Map<string, number>()

  const proxy = (req: IncomingMessage, res: import('node:http').ServerResponse, upstream: URL) => {
    const orderId = orderOf(req.url ?? '')
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host, connection: 'keep-alive' },
        agent,
      },
      (answer) => {
        const headers = { ...answer.headers }
        delete headers.connection
        delete headers['keep-alive']
        res.writeHead(answer.statusCode ?? 502, headers)
        res.flushHeaders()
        answer.on('data', (chunk: Buffer) => {
          if (orderId && !paidPassed.has(orderId) && chunk.includes('"status":"paid"'))
            paidPassed.set(orderId, benchNow())
          res.write(chunk)
        })
        answer.on('end', () => res.end())
        answer.on('error', () => res.destroy())
      },
    )
    out.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' })
      res.end(`proxy: ${error.message}`)
    })
    // The browser went away (a stream it aborted): let go of the upstream request too.
    res.on('close', () => out.destroy())
    req.pipe(out)
  }

  const server = createServer((req, res) => {
    req.socket.setNoDelay(true)
    const path = req.url ?? '/'
    if (path.startsWith('/api/pay/') && upstream) return proxy(req, res, upstream)
    if (req.method === 'GET' && path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      return res.end(page)
    }
    if (req.method === 'GET' && path === '/page.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' })
      return res.end(script)
    }
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('not found')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    scriptBytes: Buffer.byteLength(script),
    proxyTo(apiUrl) {
      upstream = new URL(apiUrl)
      if (upstream.pathname.replace(/\/+$/, '') !== '/api/pay')
        throw new Error(`the pay server's base path is ${upstream.pathname}, not /api/pay`)
    },
    takePaidPassed(orderId) {
      const at = paidPassed.get(orderId)
      paidPassed.delete(orderId)
      return at
    },
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      agent.destroy()
    },
  }
}
