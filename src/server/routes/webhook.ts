// `POST /telegram/webhook`: Telegram's updates, behind the secret it sends back on every call.
import type { Bot } from 'grammy'
import { Hono } from 'hono'
import { PayError } from '../../core/errors'
import { sameSecret } from '../admin-auth'
import { readJson } from '../input'
import { parseTelegramUpdate } from '../telegram-update'
import type { PayEnv } from './context'

export function webhookRoutes(webhookSecret: string, bot: () => Bot, initBot: () => Promise<void>) {
  return new Hono<PayEnv>().post('/telegram/webhook', async (c) => {
    if (!sameSecret(c.req.header('x-telegram-bot-api-secret-token'), webhookSecret))
      throw new PayError(
        'unauthorized',
        'Wrong or missing X-Telegram-Bot-Api-Secret-Token: set the same secret in setWebhook.',
      )
    const update = parseTelegramUpdate(await readJson(c.req.raw))
    await initBot()
    // A throw here answers 500, so Telegram delivers the update again: nothing is acknowledged unsaved.
    await bot().handleUpdate(update)
    return c.json({ ok: true })
  })
}
