// The app's own grammY bot, run by `tma-pay serve --bot-module FILE` in serve's process: it takes the updates
// of serve's webhook route and of its long polling, in place of the built-in bot.
import type { Bot, Composer, Context, MiddlewareFn } from 'grammy'
import type { Update, UserFromGetMe } from 'grammy/types'
import type { PayServer } from '../pay-server'

/** What `tma-pay serve --bot-module FILE` hands the module's default export (see CreateServeBot). */
export interface ServeBotOptions {
  /** The pay server serve runs: `bot.use(pay.botMiddleware())`, `pay.sendInvoice(...)`, `pay.telegram`. */
  pay: PayServer
  /** The bot's token: `--bot-token` (TMA_PAY_BOT_TOKEN), or the simulator's when none is given. */
  botToken: string
  /** The Bot API base URL for grammY's `client.apiRoot`: the simulator's, or `--api-root`. Default: undefined (api.telegram.org). */
  apiRoot?: string | undefined
  /** The bot's getMe, for grammY's `botInfo` (no getMe call at start): known on the simulator. Default: undefined. */
  botInfo?: UserFromGetMe | undefined
}

/**
 * The default export of a `tma-pay serve --bot-module FILE` module: makes the app's own grammY bot, which serve
 * then runs in its own process (its webhook route, or `--polling`) in place of its built-in bot. Put
 * `pay.botMiddleware()` first, then the app's handlers; do not start the bot or set its webhook, serve does.
 * Serve appends tma-pay's handlers and the sole-consumer fallback after yours: a pre-checkout that neither
 * tma-pay nor your handlers answered is refused at once, and a payment nobody took is recorded.
 *
 * ```js
 * export default function createBot({ pay, botToken, apiRoot, botInfo }) {
 *   const bot = new Bot(botToken, { botInfo, client: { apiRoot } })
 *   bot.use(pay.botMiddleware())
 *   bot.command('start', (ctx) => ctx.reply('Hello!'))
 *   return bot
 * }
 * ```
 */
export type CreateServeBot<C extends Context = Context> = (
  options: ServeBotOptions,
) => Bot<C> | Promise<Bot<C>>

/** The part of a grammY Bot serve uses (a structural check: the module may have its own copy of grammY). */
export interface AppBot {
  token: string
  init(): Promise<void>
  handleUpdate(update: Update): Promise<void>
  use(middleware: MiddlewareFn<Context>): unknown
}

/** Whether `value` looks like a grammY Bot serve can run. */
export const isAppBot = (value: unknown): value is AppBot => {
  const bot = value as Partial<Record<keyof AppBot, unknown>> | null
  return (
    typeof bot === 'object' &&
    bot !== null &&
    typeof bot.token === 'string' &&
    typeof bot.init === 'function' &&
    typeof bot.handleUpdate === 'function' &&
    typeof bot.use === 'function'
  )
}

/** An app's bot, ready to take updates: `handle` runs one through its whole chain. */
export interface AdoptedBot {
  handle(update: Update): Promise<{ consumed: boolean }>
  /** getMe unless the bot has its botInfo; once. */
  init(): Promise<void>
}

/**
 * Takes the app's bot for the server's updates. tma-pay's handlers run again after the app's (a no-op for
 * what `pay.botMiddleware()` consumed; they take tma-pay's own payments in a bot that forgot the middleware), then
 * the sole-consumer handlers, since no one else gets this bot's updates: a pre-checkout of an invoice neither knows
 * is refused at once rather than left to lapse after 10 s, and a payment of one is recorded (an orphan charge, to
 * refund). An app's handler that answers an update without calling `next()` keeps it from them.
 */
export function adoptAppBot(
  bot: AppBot,
  options: { handlers: Composer<Context>; soleConsumer: Composer<Context> },
): AdoptedBot {
  bot.use(options.handlers.middleware())
  bot.use(options.soleConsumer.middleware())
  let ready: Promise<void> | undefined
  const init = () => {
    ready ??= bot.init().catch((error) => {
      ready = undefined
      throw error
    })
    return ready
  }
  return {
    init,
    async handle(update) {
      await init()
      await bot.handleUpdate(update)
      return { consumed: true }
    },
  }
}
