// `POST /telegram/webhook`: Telegram's updates, behind the secret it sends back on every call. There only when
// the server has a webhook secret; an app with a bot of its own uses pay.botMiddleware() instead.
import type { Update } from 'grammy/types'
import { Hono } from 'hono'
import { PayError } from '../../core/errors'
import { sameSecret } from '../admin-auth'
import { fail } from '../input'
import { type PayMetrics, secondsSince } from '../metrics'
import type { Forwarder } from '../telegram/forward'
import { parseTelegramUpdate } from '../telegram/update'
import type { PayEnv } from './context'

export interface WebhookRouteOptions {
  webhookSecret: string
  metrics: PayMetrics
  /**
   * Runs an update through tma-pay's bot; `consumed` false means it is the forward URL's, and `reply` is a Bot API
   * call (JSON) to answer with.
   */
  handle: (update: Update) => Promise<{ consumed: boolean; reply?: string }>
  forward?: Forwarder
}

export function webhookRoutes({ webhookSecret, metrics, handle, forward }: WebhookRouteOptions) {
  const timed = new Hono<PayEnv>()
  // Every answer is timed, refusals and failures too: by then the app's error handler has rendered a throw.
  if (metrics.webhook)
    timed.use('/telegram/webhook', async (c, next) => {
      const startedAt = performance.now()
      await next()
      metrics.webhook?.(c.res.status, secondsSince(startedAt))
    })
  return timed.post('/telegram/webhook', async (c) => {
    if (!sameSecret(c.req.header('x-telegram-bot-api-secret-token'), webhookSecret))
      throw new PayError(
        'unauthorized',
        'Wrong or missing X-Telegram-Bot-Api-Secret-Token: set the same secret in setWebhook.',
      )
    // The raw text is kept: a forwarded update goes on exactly as Telegram sent it.
    const raw = await c.req.text()
    if (!raw) fail('The request needs a JSON body.')
    let body: unknown
    try {
      body = JSON.parse(raw)
    } catch {
      fail('The body is not valid JSON.')
    }
    const update = parseTelegramUpdate(body)
    // A throw here answers 500, so Telegram delivers the update again: nothing is acknowledged unsaved.
    const { consumed, reply } = await handle(update)
    // A webhook reply: Telegram carries out the call in it (a pre-checkout's answer) as it reads the response.
    if (reply !== undefined) return new Response(reply, { headers: { 'content-type': 'application/json' } })
    if (consumed || !forward) return c.json({ ok: true })
    // The app's answer is Telegram's: a 5xx makes Telegram deliver the update again, and a 200 may carry a
    // webhook reply (a Bot API call in the body), which Telegram carries out.
    const answer = await forward(raw)
    return new Response(answer.body || null, {
      status: answer.status,
      headers: answer.contentType ? { 'content-type': answer.contentType } : {},
    })
  })
}
