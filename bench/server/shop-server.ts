// The hand-written baseline: the shop a competent developer writes without tma-pay, with the libraries tma-pay
// uses (Hono, grammY, postgres.js, @tma.js/init-data-node) and the same Bot API calls (createInvoiceLink,
// answerPreCheckoutQuery). It checks init data, refuses a pre-checkout for a wrong order, user, amount or status,
// and records each charge exactly once (its primary key) while marking the order paid. It has no idempotency keys,
// timeline, fulfilment outbox, live streams, rate limit, expiry or reconciliation: the price of those is what
// tma-pay costs on top of this.
//
//   node --import tsx bench/server/shop-server.ts --store postgres://... --bot-token T --api-root URL --webhook-secret S
//
// Listens on 127.0.0.1 (a free port), sets its webhook on the Bot API root, then prints
// `shop listening on http://127.0.0.1:PORT`; stops on SIGTERM.
//   POST /orders            Authorization: tma <init data>; { productId }  → 201 { id, status, amount, currency, invoiceUrl }
//   GET  /orders/:id        Authorization: tma <init data>                 → 200 the order, the user's own only
//   POST /telegram/webhook  Telegram's updates, behind the secret token
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import { serve } from '@hono/node-server'
import { parse, validate } from '@tma.js/init-data-node'
import { Bot, webhookCallback } from 'grammy'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import postgres from 'postgres'
import { benchProduct } from '../shared/product'

const { values } = parseArgs({
  options: {
    store: { type: 'string' },
    'bot-token': { type: 'string' },
    'api-root': { type: 'string' },
    'webhook-secret': { type: 'string' },
  },
})
const { store: url, 'bot-token': botToken, 'api-root': apiRoot, 'webhook-secret': secret } = values
if (!url?.startsWith('postgres') || !botToken || !apiRoot || !secret)
  throw new Error('--store postgres://..., --bot-token, --api-root and --webhook-secret are required')

const products = new Map([[benchProduct.id, benchProduct]])

const sql = postgres(url, { max: 10, onnotice: () => {} })
await sql`
  create table if not exists shop_orders (
    id text primary key,
    user_id bigint not null,
    product_id text not null,
    amount integer not null,
    status text not null default 'created',
    invoice_url text not null,
    charge_id text,
    created_at timestamptz not null default now(),
    paid_at timestamptz
  )`
await sql`
  create table if not exists shop_payments (
    charge_id text primary key,
    order_id text not null,
    user_id bigint not null,
    amount integer not null,
    received_at timestamptz not null default now()
  )`

const bot = new Bot(botToken, { client: { apiRoot } })

bot.on('pre_checkout_query', async (ctx) => {
  const query = ctx.preCheckoutQuery
  const [order] =
    await sql`select user_id, amount, status from shop_orders where id = ${query.invoice_payload}`
  const ok =
    order !== undefined &&
    Number(order.user_id) === query.from.id &&
    order.amount === query.total_amount &&
    query.currency === 'XTR' &&
    order.status === 'created'
  if (ok) await ctx.answerPreCheckoutQuery(true)
  else await ctx.answerPreCheckoutQuery(false, { error_message: 'This order cannot be paid any more.' })
})

bot.on('message:successful_payment', async (ctx) => {
  const payment = ctx.message.successful_payment
  // The charge id is the payments' primary key: a redelivered update inserts nothing and pays nothing twice.
  await sql.begin(async (tx) => {
    const [row] = await tx`
      insert into shop_payments (charge_id, order_id, user_id, amount)
      values (${payment.telegram_payment_charge_id}, ${payment.invoice_payload}, ${ctx.from.id}, ${payment.total_amount})
      on conflict (charge_id) do nothing
      returning order_id`
    if (row)
      await tx`
        update shop_orders set status = 'paid', charge_id = ${payment.telegram_payment_charge_id}, paid_at = now()
        where id = ${row.order_id} and status = 'created'`
  })
})

function userOf(header: string | undefined): number {
  const raw = header?.startsWith('tma ') ? header.slice(4) : ''
  try {
    validate(raw, botToken!, { expiresIn: 86_400 })
    const id = parse(raw).user?.id
    if (id !== undefined) return id
  } catch {}
  throw new HTTPException(401, { message: 'bad init data' })
}

const app = new Hono()
app.post('/orders', async (c) => {
  const userId = userOf(c.req.header('authorization'))
  const { productId } = await c.req.json<{ productId?: string }>()
  const product = products.get(String(productId))
  if (!product) return c.json({ error: 'no such product' }, 404)
  const id = randomUUID()
  const invoiceUrl = await bot.api.createInvoiceLink(product.title, product.description, id, '', 'XTR', [
    { label: product.title, amount: product.amount },
  ])
  await sql`
    insert into shop_orders (id, user_id, product_id, amount, invoice_url)
    values (${id}, ${userId}, ${product.id}, ${product.amount}, ${invoiceUrl})`
  return c.json({ id, status: 'created', amount: product.amount, currency: 'XTR', invoiceUrl }, 201)
})
app.get('/orders/:id', async (c) => {
  const userId = userOf(c.req.header('authorization'))
  const [order] =
    await sql`select id, user_id, amount, status, invoice_url from shop_orders where id = ${c.req.param('id')}`
  if (!order || Number(order.user_id) !== userId) return c.json({ error: 'not found' }, 404)
  return c.json({ id: order.id, status: order.status, amount: order.amount, invoiceUrl: order.invoice_url })
})
app.post('/telegram/webhook', webhookCallback(bot, 'hono', { secretToken: secret }))

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, async (info: AddressInfo) => {
  const origin = `http://127.0.0.1:${info.port}`
  await bot.api.setWebhook(`${origin}/telegram/webhook`, { secret_token: secret })
  console.log(`shop listening on ${origin}`)
})
process.once('SIGTERM', () => {
  server.close(() => {
    void sql.end({ timeout: 5 }).finally(() => process.exit(0))
  })
  // Keep-alive sockets of the bench's client would hold close() open.
  ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
})
