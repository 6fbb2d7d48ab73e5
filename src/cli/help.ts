import { flagHelp } from './flags'
import { serveFlags } from './serve/flags'

export const mainHelp = (version: string) => `tma-pay ${version}: payments for Telegram Mini Apps

Usage:
  tma-pay serve --products FILE.json [flags]    run the pay server (on a local Telegram simulator without --bot-token)
  tma-pay doctor --products FILE.json --bot-token TOKEN [serve's flags]
                                                check the bot, its webhook, the store and the keys serve would use
  tma-pay init-data --user-id ID --sim URL      print signed init data for a test user
  tma-pay pay <orderId|invoiceUrl> --user-id ID --sim URL [--outcome paid|cancelled]
                                                pay an order by hand on the simulator
  tma-pay --help | --version

Run \`tma-pay <command> --help\` for a command's flags.`

export const serveHelp = `Usage: tma-pay serve --products FILE.json [flags]

Runs the pay server: the HTTP API under the base path, Telegram's webhook (or long polling with
--polling), and signed notifications of paid and refunded orders to your backend. Updates that are not
tma-pay's (your bot's /start, its own invoices) go to your bot: --bot-module runs it in this process
(a module whose default export returns your grammY Bot, with pay.botMiddleware() first), or
--forward-url posts them to its own webhook, which answers Telegram for them. Without a bot token it
starts the Telegram simulator beside itself and prints commands to try a whole payment.
\`tma-pay doctor\` with the same flags checks the setup.

Flags (each may come from the environment variable beside it; a flag wins):
${flagHelp(serveFlags)}

products.json: [{ "id", "title", "description", "amount", "currency"?: "XTR", "photoUrl"?, "kind"?: "consumable" | "non-consumable" | "pass" | "subscription", "durationSeconds"? (passes), "maxQuantity"?, "subscriptionPeriod"? }]
Notifications: POST { id, type: "order.paid" | "order.refunded", order } with
X-Tma-Pay-Signature: sha256=<hex HMAC-SHA256 of the body under the notify secret>, retried until a 2xx.
Chat invoices: POST <base path>/admin/invoices { chatId, userId, productId, quantity?, metadata? } with
Authorization: Bearer <admin key> and an Idempotency-Key sends an order's invoice message (sendInvoice).
Bot module: export default function ({ pay, botToken, apiRoot, botInfo }) {
  const bot = new Bot(botToken, { botInfo, client: { apiRoot } }); bot.use(pay.botMiddleware()); ...; return bot }
Serve runs it: do not start it or set its webhook. After your handlers come tma-pay's fallbacks: a
pre-checkout neither tma-pay nor your bot answered is refused at once, a payment nobody took is recorded.
Exit codes: 2 for bad flags, products file, store spec or bot module; 1 when starting fails (or the bot
module's function throws), or Telegram ends polling.`
