// The demo shop's own Telegram bot: /start answers with a button that opens the shop (the Mini App), /buy sends
// a chat invoice for a pack of crystals. `npm start` runs it beside `tma-pay serve`, which forwards it every update
// that is not tma-pay's (--forward-url) and sends its chat invoices (POST /api/pay/admin/invoices): the bot of an
// app that runs tma-pay as a service. An app with tma-pay inside its own server puts `pay.botMiddleware()` before
// the same commands instead, and passes `pay.sendInvoice` (README: "Using your own bot").
import { createServer } from 'node:http'
import { Bot, Composer, InlineKeyboard, webhookCallback } from 'grammy'

/**
 * The shop's commands. `sendInvoice({ chatId, userId, productId, idempotencyKey })` sends an order's invoice
 * message (`invoiceSenderFor(...)` beside `tma-pay serve`); `shopUrl()` is the Mini App's URL.
 */
export function shopCommands({ shopUrl, sendInvoice }) {
  const commands = new Composer()
  commands.command('start', async (ctx) => {
    const welcome =
      'Welcome to the tma-pay demo shop! Open it, or send /buy for a pack of crystals right here.'
    try {
      await ctx.reply(welcome, { reply_markup: new InlineKeyboard().webApp('Open the shop', shopUrl()) })
    } catch {
      // Telegram opens Mini Apps over HTTPS only: without a public URL there is no button to give.
      await ctx.reply(`${welcome}\nThe shop is at ${shopUrl()}`)
    }
  })
  commands.command('buy', async (ctx) => {
    try {
      // Keyed by the update: a /buy that Telegram delivers again answers with the same order, not a second invoice.
      await sendInvoice({
        chatId: ctx.chat.id,
        userId: ctx.from.id,
        productId: 'crystal-pack',
        idempotencyKey: `buy-${ctx.update.update_id}`,
      })
    } catch (error) {
      await ctx.reply(`Sorry, no invoice this time: ${error.message}`)
    }
  })
  return commands
}

/** `pay.sendInvoice` over HTTP, for a bot beside `tma-pay serve`: POST /admin/invoices with the admin key. */
export function invoiceSenderFor(apiUrl, adminKey) {
  return async ({ idempotencyKey, ...request }) => {
    if (!adminKey)
      throw new Error('the shop has no admin key (TMA_PAY_ADMIN_KEY) to send chat invoices with.')
    const response = await fetch(`${apiUrl()}/admin/invoices`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${adminKey}`,
        'content-type': 'application/json',
        'idempotency-key': idempotencyKey,
      },
      body: JSON.stringify(request),
    })
    const body = await response.json().catch(() => ({}))
    if (!response.ok) throw new Error(body.error?.message ?? `the pay server answered ${response.status}`)
    return body
  }
}

/**
 * Starts the shop's bot as the webhook that `tma-pay serve --forward-url` posts to, on a free loopback port, and
 * checks the secret serve sends. It handles updates once `configure()` has told it the bot (token, Bot API root,
 * getMe if known) and where the pay API is, which are known only after serve started, and serve needs this
 * webhook's URL to start: until then a forwarded update waits.
 */
export async function startShopBot({ secretToken, adminKey, shopUrl }) {
  let configured
  const ready = new Promise((resolve) => {
    configured = resolve
  })
  const server = createServer(async (request, response) => (await ready)(request, response))
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${server.address().port}/telegram`,
    configure({ botToken, apiRoot, botInfo, apiUrl }) {
      const bot = new Bot(botToken, {
        ...(botInfo ? { botInfo } : {}),
        ...(apiRoot ? { client: { apiRoot } } : {}),
      })
      bot.use(shopCommands({ shopUrl, sendInvoice: invoiceSenderFor(() => apiUrl, adminKey) }))
      configured(webhookCallback(bot, 'http', { secretToken }))
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
