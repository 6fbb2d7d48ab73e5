// The demo shop's own Telegram bot: /start answers with a button that opens the shop (the Mini App), /buy sends
// a chat invoice for a pack of crystals. `npm start` runs it inside `tma-pay serve --bot-module examples/shop/bot.mjs`:
// serve calls this function with its pay server, then hands the bot every update, on its webhook or by polling.
// The same bot fits an app with `createPayServer` in its own server: make it with that `pay` and start it yourself
// (README: "Using your own bot").
import { Bot, InlineKeyboard } from 'grammy'

/** @type {import('tma-pay/server').CreateServeBot} */
export default function createShopBot({ pay, botToken, apiRoot, botInfo }) {
  // The Mini App's URL: npm start sets it (the public URL with a real bot, else the dev server's).
  const shopUrl = process.env.TMA_PAY_SHOP_URL || 'http://127.0.0.1:5173/'
  const bot = new Bot(botToken, { botInfo, client: { apiRoot } })
  // First: it answers tma-pay's pre-checkouts and records its payments; the rest goes on to the commands.
  bot.use(pay.botMiddleware())

  bot.command('start', async (ctx) => {
    const welcome =
      'Welcome to the tma-pay demo shop! Open it, or send /buy for a pack of crystals right here.'
    try {
      await ctx.reply(welcome, { reply_markup: new InlineKeyboard().webApp('Open the shop', shopUrl) })
    } catch {
      // Telegram opens Mini Apps over HTTPS only: without a public URL there is no button to give.
      await ctx.reply(`${welcome}\nThe shop is at ${shopUrl}`)
    }
  })

  bot.command('buy', async (ctx) => {
    try {
      // An order like the shop's others: the page's history lists it. Keyed by the update, so a /buy that
      // Telegram delivers again answers with the same order instead of a second invoice.
      await pay.sendInvoice({
        chatId: ctx.chat.id,
        userId: ctx.from?.id,
        productId: 'crystal-pack',
        idempotencyKey: `buy-${ctx.update.update_id}`,
      })
    } catch (error) {
      await ctx.reply(`Sorry, no invoice this time: ${error.message}`)
    }
  })

  return bot
}
