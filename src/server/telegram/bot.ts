// The bot tma-pay runs itself when it owns the bot's updates: behind its webhook route, or polling.
import { Bot, type Composer, type Context } from 'grammy'
import type { Update, UserFromGetMe } from 'grammy/types'
import { sleep } from '../../core/sleep'
import type { Logger } from '../logger'
import { describeError } from '../store-gate'
import type { AdoptedBot } from './app-bot'
import { type Forwarder, forwardPolledUpdate } from './forward'
import type { UpdateType } from './update-types'

export interface PayBotOptions {
  botToken: string
  apiRoot?: string
  botInfo?: UserFromGetMe
  logger: Logger
  /** tma-pay's own handlers (createPayHandlers). */
  handlers: Composer<Context>
  /** What answers the rest when nothing is forwarded (createSoleConsumerHandlers). */
  soleConsumer: Composer<Context>
  /** Where the rest goes instead; see PayServerOptions.forwardUpdates. */
  forward?: Forwarder
  /** The app's own bot (`tma-pay serve --bot-module`), which handles every update instead; never with `forward`. */
  appBot?: AdoptedBot
  /** The webhook route answers pre-checkouts in its response: see PayServerOptions.preCheckoutWebhookReply. */
  preCheckoutWebhookReply?: boolean
}

const newBot = (options: PayBotOptions, webhook = false) =>
  new Bot(options.botToken, {
    ...(options.botInfo ? { botInfo: options.botInfo } : {}),
    client: {
      ...(options.apiRoot ? { apiRoot: options.apiRoot } : {}),
      ...(webhook && options.preCheckoutWebhookReply !== false
        ? { canUseWebhookReply: (method: string) => method === 'answerPreCheckoutQuery' }
        : {}),
    },
  })

/**
 * The webhook route's bot. `handle` runs an update through tma-pay's handlers and says whether they consumed it:
 * with a forward URL an update they passed on is the route's to forward; without one, the sole-consumer
 * handlers answer it and it counts as consumed.
 */
export function createWebhookBot(options: PayBotOptions) {
  const bot = newBot(options, true)
  const passedOn = new WeakSet<object>()
  bot.use(options.handlers)
  if (options.forward) bot.use((ctx) => void passedOn.add(ctx.update))
  else bot.use(options.soleConsumer)
  return {
    bot,
    /** `reply`: the Bot API call (JSON) to answer the webhook with, which Telegram carries out. */
    async handle(update: Update): Promise<{ consumed: boolean; reply?: string }> {
      let reply: string | undefined
      await bot.handleUpdate(update, {
        send: (payload: string) => {
          reply = payload
        },
      })
      return { consumed: !passedOn.has(update), ...(reply === undefined ? {} : { reply }) }
    },
  }
}

export interface PollingOptions {
  /** Update types getUpdates asks for. Default: `allowedUpdates()` (tma-pay's own), with Telegram's default set when forwarding. */
  allowedUpdates?: readonly UpdateType[]
}

/** Long polling that runs: see PayServer.startPolling. */
export interface Polling {
  /** The URL of the webhook that was set when polling started, and was removed (Telegram refuses getUpdates beside one). */
  removedWebhook?: string
  /** Stops polling after the update being handled, confirming what was handled; resolves once stopped. */
  stop(): Promise<void>
  /** Settles when polling ends: resolves after stop(), rejects when Telegram ends it (401: a revoked token; 409: another getUpdates consumer or a webhook set meanwhile). */
  done: Promise<void>
}

/** Attempts at one polled update whose handling failed (a store that went away) before it is logged and skipped. */
const POLLED_UPDATE_RETRY_DELAYS_MS = [500, 1000, 2000, 5000]

/**
 * Long polling with grammY's bot.start(): getUpdates with `allowed_updates` and without dropping what waits.
 * bot.start() calls deleteWebhook first; the webhook it removes is reported. Each update is handled by tma-pay's
 * handlers, then forwarded or answered as by the webhook route; a failed one is tried again a few times, since
 * getUpdates has no redelivery (a Stars payment skipped after that is still found by reconciliation). With the
 * app's own bot, that bot handles each update instead (its whole chain, tma-pay's handlers in it), retried alike.
 */
export async function startPolling(options: PayBotOptions & Required<PollingOptions>): Promise<Polling> {
  const { logger, forward } = options
  const bot = newBot(options)
  const stopping = new AbortController()
  const rest = forward
    ? (ctx: Context) =>
        forwardPolledUpdate(forward, JSON.stringify(ctx.update), ctx.api, logger, stopping.signal)
    : options.soleConsumer.middleware()
  const handlers = options.handlers.middleware()
  const { appBot } = options
  const handle = appBot
    ? (ctx: Context) => appBot.handle(ctx.update)
    : (ctx: Context) =>
        handlers(ctx, async () => {
          await rest(ctx, async () => {})
        })
  if (appBot) await appBot.init()
  bot.use(async (ctx) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return void (await handle(ctx))
      } catch (error) {
        const delay = POLLED_UPDATE_RETRY_DELAYS_MS[attempt]
        if (delay === undefined || stopping.signal.aborted) throw error
        logger.warn('handling a polled update failed; trying again', {
          updateId: ctx.update.update_id,
          ...describeError(error),
        })
        await sleep(delay, stopping.signal).catch(() => {})
      }
    }
  })
  // Logged and skipped: grammY's default handler would stop polling at the first failure.
  bot.catch((error) =>
    logger.error('a polled update could not be handled; skipped', {
      updateId: error.ctx.update.update_id,
      ...describeError(error.error),
    }),
  )
  const { url } = await bot.api.getWebhookInfo()
  let started!: () => void
  const running = new Promise<void>((resolve) => (started = resolve))
  const done = bot.start({
    allowed_updates: options.allowedUpdates,
    drop_pending_updates: false,
    onStart: () => started(),
  })
  // Observed here, so a failure nobody awaits is logged rather than an unhandled rejection.
  done.catch((error: unknown) => logger.error('long polling ended', describeError(error)))
  await Promise.race([running, done])
  return {
    ...(url ? { removedWebhook: url } : {}),
    async stop() {
      stopping.abort()
      // bot.stop() confirms the handled updates with a last getUpdates; Telegram down then is no reason to hang.
      if (bot.isRunning())
        await bot
          .stop()
          .catch((error: unknown) =>
            logger.warn('stopping long polling: the last getUpdates failed', describeError(error)),
          )
      await done.catch(() => {})
    },
    done,
  }
}
