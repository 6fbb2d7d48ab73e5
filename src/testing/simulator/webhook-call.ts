// One webhook call as Telegram makes it: POST the update as JSON with the secret header, within 60 s.
import type { Update, WebhookSettings } from './types'

// Telegram closes a webhook request that takes longer than this and counts it as failed.
const webhookTimeoutMs = 60_000

export type WebhookCallResult =
  | { ok: true; status: number; body: string }
  | { ok: false; status: number; error: string }

// fetch reports 'fetch failed' and keeps the useful part (ECONNREFUSED, timeout) in its cause.
function networkErrorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  return error.cause instanceof Error ? error.cause.message : error.message
}

/** POSTs the update. Not ok on a non-2xx answer (status set) or a network error (status 0), with the words
 * getWebhookInfo's last_error_message gives. */
export async function callWebhook(
  webhook: WebhookSettings,
  update: Update,
  signal: AbortSignal,
): Promise<WebhookCallResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (webhook.secretToken) headers['x-telegram-bot-api-secret-token'] = webhook.secretToken
  try {
    const response = await fetch(webhook.url, {
      method: 'POST',
      headers,
      body: JSON.stringify(update),
      signal: AbortSignal.any([signal, AbortSignal.timeout(webhookTimeoutMs)]),
    })
    const body = await response.text()
    if (response.ok) return { ok: true, status: response.status, body }
    const error = `Wrong response from the webhook: ${response.status} ${response.statusText}`
    return { ok: false, status: response.status, error }
  } catch (error) {
    return { ok: false, status: 0, error: networkErrorMessage(error) }
  }
}

/** The Bot API call a webhook may answer with ("webhook reply"), which Telegram executes. */
export function webhookReply(body: string): { method: string; params: Record<string, unknown> } | undefined {
  if (!body) return undefined
  try {
    const { method, ...params } = JSON.parse(body) as Record<string, unknown>
    return typeof method === 'string' ? { method, params } : undefined
  } catch {
    // Not JSON: an ordinary webhook answer, nothing to execute.
    return undefined
  }
}
