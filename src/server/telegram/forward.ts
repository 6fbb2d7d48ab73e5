// Updates tma-pay does not consume, passed on to the app's own webhook as Telegram would deliver them.
import type { Api } from 'grammy'
import { sleep } from '../../core/sleep'
import type { Logger } from '../logger'
import { redactUrl } from '../redact'

export interface ForwardUpdatesOptions {
  /** The app's own webhook (its grammY `webhookCallback`, say) that gets every update tma-pay does not consume. Default: none. */
  url: string
  /**
   * Sent as `X-Telegram-Bot-Api-Secret-Token`, as Telegram sends setWebhook's `secret_token`: the app's webhook
   * checks it (grammY: `webhookCallback(bot, 'hono', { secretToken })`). 1-256 of A-Z a-z 0-9 _ -. Default: none.
   */
  secretToken: string
  /** How long the app may take to answer one update, in ms; past it the update counts as not delivered (504). Default 30000. */
  timeoutMs?: number
  /** The fetch that posts the updates (a test double, a proxy agent). Default: the global `fetch`. */
  fetch?: typeof fetch
}

/** What the app answered: Telegram gets this status, and the body (a webhook reply may carry a Bot API call). */
export interface ForwardAnswer {
  status: number
  body: string
  contentType?: string
}

export type Forwarder = (rawUpdate: string) => Promise<ForwardAnswer>

const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/

/** Checks the options (a TypeError that says what to do) and returns the function that posts one update. */
export function createForwarder(options: ForwardUpdatesOptions, logger: Logger): Forwarder {
  let url: URL
  try {
    url = new URL(options.url)
  } catch {
    throw new TypeError(
      'createPayServer: forwardUpdates.url is not a URL: give the http(s) URL of your bot’s own webhook.',
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TypeError('createPayServer: forwardUpdates.url must be http(s).')
  if (!SECRET_TOKEN.test(options.secretToken ?? ''))
    throw new TypeError(
      'createPayServer: forwardUpdates.secretToken must be 1-256 characters of A-Z a-z 0-9 _ - (your webhook checks it as Telegram’s secret token).',
    )
  const where = redactUrl(url)
  const send = options.fetch ?? fetch
  const timeoutMs = options.timeoutMs ?? 30_000
  return async (rawUpdate) => {
    try {
      const response = await send(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-telegram-bot-api-secret-token': options.secretToken,
        },
        body: rawUpdate,
        // As Telegram does: a redirect is not followed (fetch would turn the POST into a GET without the body).
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      })
      const body = await response.text()
      const contentType = response.headers.get('content-type')
      if (response.status < 200 || response.status > 299)
        logger.warn('the forward URL did not take an update; Telegram delivers it again', {
          url: where,
          status: response.status,
        })
      return { status: response.status, body, ...(contentType ? { contentType } : {}) }
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError'
      logger.warn('the forward URL could not be reached; Telegram delivers the update again', {
        url: where,
        reason: timedOut
          ? `no answer in ${timeoutMs} ms`
          : String((error as { cause?: unknown })?.cause ?? error),
      })
      return { status: timedOut ? 504 : 502, body: '' }
    }
  }
}

/** Waits between attempts to forward one polled update: Telegram's own redelivery, roughly. */
const POLLING_RETRY_DELAYS_MS = [1000, 3000, 10_000, 30_000]

/**
 * Forwards one update taken by getUpdates, where no Telegram redelivers it: tried again after each delay while
 * the app does not answer 2xx (the poll waits meanwhile, so updates stay in order), then logged and dropped.
 * A 2xx answer that is a webhook reply (`{ "method": ... }`) is carried out through the Bot API, as Telegram
 * does for a webhook. Resolves early when `signal` aborts (the server stops).
 */
export async function forwardPolledUpdate(
  forward: Forwarder,
  rawUpdate: string,
  api: Api,
  logger: Logger,
  signal: AbortSignal,
  delaysMs: readonly number[] = POLLING_RETRY_DELAYS_MS,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const answer = await forward(rawUpdate)
    if (answer.status >= 200 && answer.status <= 299) return runWebhookReply(answer, api, logger)
    const delay = delaysMs[attempt]
    if (delay === undefined || signal.aborted) {
      logger.error('gave up forwarding an update: the forward URL did not take it', {
        updateId: (JSON.parse(rawUpdate) as { update_id?: number }).update_id,
        status: answer.status,
      })
      return
    }
    await sleep(delay, signal).catch(() => {})
  }
}

async function runWebhookReply(answer: ForwardAnswer, api: Api, logger: Logger): Promise<void> {
  if (!answer.contentType?.includes('json') || !answer.body) return
  let reply: unknown
  try {
    reply = JSON.parse(answer.body)
  } catch {
    return
  }
  const { method, ...params } = (reply ?? {}) as { method?: unknown }
  if (typeof method !== 'string') return
  const call = (api.raw as unknown as Record<string, ((params: object) => Promise<unknown>) | undefined>)[
    method
  ]
  await call?.(params).catch((error: unknown) =>
    logger.warn('the webhook reply of a forwarded update failed', { method, error: String(error) }),
  )
}
