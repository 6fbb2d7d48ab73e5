// The baseline server: bare node:http, no Hono, no grammY, no init-data check, no Bot API calls; only the
// payment's SQL (baseline-sql.ts). What tma-pay costs on top of this is the price of everything else.
//
//   node --import tsx bench/server/baseline-server.ts --store pglite:DIR|postgres://... [--port 0]
//
// Prints `baseline listening on http://127.0.0.1:PORT` when ready; stops on SIGTERM.
//   POST /orders                     x-user-id, idempotency-key; { productId }        → 201 { id, amount, currency, ... }
//   POST /orders/:id/pre-checkout    { id, userId, totalAmount, currency }            → 200 { ok: true } or 409
//   POST /orders/:id/pay             { chargeId, userId, amount, currency }           → 200 { status }
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import { benchProduct } from '../shared/product'
import { approvePreCheckout, createOrder, type Db, openDb, recordPayment } from './baseline-sql'

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function send(response: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  })
  response.end(text)
}

async function handle(db: Db, request: IncomingMessage, response: ServerResponse) {
  const path = (request.url ?? '/').split('?')[0]!
  if (request.method !== 'POST') return send(response, 404, { error: 'not found' })
  const raw = await readBody(request)
  const body = JSON.parse(raw || '{}') as Record<string, unknown>

  if (path === '/orders') {
    if (body.productId !== benchProduct.id) return send(response, 404, { error: 'product_not_found' })
    const order = await createOrder(db, {
      userId: Number(request.headers['x-user-id']),
      productId: benchProduct.id,
      title: benchProduct.title,
      description: benchProduct.description,
      amount: benchProduct.amount,
      currency: 'XTR',
      idempotencyKey: String(request.headers['idempotency-key']),
      requestHash: createHash('sha256').update(raw).digest('hex'),
    })
    return order ? send(response, 201, order) : send(response, 409, { error: 'idempotency key used' })
  }
  const match = /^\/orders\/([^/]+)\/(pre-checkout|pay)$/.exec(path)
  if (!match) return send(response, 404, { error: 'not found' })
  const orderId = decodeURIComponent(match[1]!)
  if (match[2] === 'pre-checkout') {
    const refusal = await approvePreCheckout(db, orderId, {
      id: String(body.id),
      userId: Number(body.userId),
      totalAmount: Number(body.totalAmount),
      currency: String(body.currency),
    })
    return refusal ? send(response, 409, { ok: false, reason: refusal }) : send(response, 200, { ok: true })
  }
  const status = await recordPayment(db, {
    chargeId: String(body.chargeId),
    orderId,
    userId: Number(body.userId),
    amount: Number(body.amount),
    currency: String(body.currency),
  })
  send(response, 200, { status: status ?? null })
}

const { values } = parseArgs({
  options: { store: { type: 'string' }, port: { type: 'string', default: '0' } },
})
if (!values.store) throw new Error('--store pglite:DIR|postgres://... is required')
const db = await openDb(values.store)
const server = createServer((request, response) => {
  handle(db, request, response).catch((error: unknown) => {
    console.error('baseline: request failed', error)
    if (!response.headersSent) send(response, 500, { error: String(error) })
    else response.destroy()
  })
})
server.listen(Number(values.port), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  console.log(`baseline listening on http://127.0.0.1:${port}`)
})
process.once('SIGTERM', () => {
  server.closeAllConnections()
  server.close(() => {
    void db.close().finally(() => process.exit(0))
  })
})
