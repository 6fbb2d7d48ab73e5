import type { Product } from '../../core'
import { redactUrl } from '../../server/redact'

export interface BannerInput {
  /** The API's URL on this machine, e.g. http://127.0.0.1:3000/api/pay. */
  apiUrl: string
  host: string
  store: string
  products: readonly Product[]
  /** The webhook URL given to setWebhook, if it was called. */
  webhookUrl?: string
  /** Set when updates come by getUpdates: with the URL of the webhook that start removed. */
  polling?: { removedWebhook?: string | undefined }
  /** Where updates tma-pay does not consume go. */
  forwardUrl?: string
  /** The app's own bot's module, run in this process (--bot-module). */
  botModule?: string
  /** What setWebhook or getUpdates asked for. */
  allowedUpdates?: readonly string[]
  notifyUrl?: string
  /** The Bot API base URL given with --api-root. */
  botApiRoot?: string
  /** Origins allowed by --cors-origin. */
  corsOrigins?: readonly string[]
  /** Set when running on the simulator. */
  simUrl?: string
  /** Where Prometheus scrapes, with --metrics. */
  metricsUrl?: string
  /** How to run tma-pay again, e.g. `node bin/tma-pay.mjs`. */
  self: string
}

/**
 * What `serve` prints at start; the first line is the one scripts (and tests) look for. URLs given from
 * outside pass through redactUrl: terminals and CI logs keep what they print.
 */
export function banner(input: BannerInput): string {
  const { apiUrl, self, simUrl } = input
  const lines = [`tma-pay listening on ${apiUrl}`]
  if (input.host === '0.0.0.0' || input.host === '::')
    lines.push(`  bound to ${input.host} (every interface)`)
  lines.push(`  store:    ${input.store}`)
  lines.push(`  products: ${input.products.map((product) => product.id).join(', ')}`)
  if (input.polling)
    lines.push(
      `  updates:  long polling (getUpdates)${input.polling.removedWebhook ? `; removed the webhook at ${redactUrl(input.polling.removedWebhook)}` : ''}`,
    )
  else
    lines.push(
      input.webhookUrl
        ? `  webhook:  ${redactUrl(input.webhookUrl)}`
        : `  webhook:  not set (no --public-url); point the bot's webhook at <public origin>${new URL(apiUrl).pathname}/telegram/webhook with the secret token, or use --polling`,
    )
  if (input.allowedUpdates && (input.polling || input.webhookUrl))
    lines.push(`  asks for: ${input.allowedUpdates.join(', ')}`)
  if (input.forwardUrl)
    lines.push(
      `  forward:  ${redactUrl(input.forwardUrl)} (every update tma-pay does not consume, with X-Telegram-Bot-Api-Secret-Token)`,
    )
  if (input.botModule)
    lines.push(
      `  bot:      ${input.botModule} (your bot, in this process: every update, tma-pay's middleware in it)`,
    )
  if (input.notifyUrl) lines.push(`  notify:   ${redactUrl(input.notifyUrl)} (signed: X-Tma-Pay-Signature)`)
  if (input.botApiRoot) lines.push(`  bot api:  ${redactUrl(input.botApiRoot)}`)
  if (input.corsOrigins?.length) lines.push(`  cors:     ${input.corsOrigins.join(', ')}`)
  if (input.metricsUrl)
    lines.push(`  metrics:  ${input.metricsUrl} (Prometheus text; Authorization: Bearer <admin key>)`)
  if (!simUrl) return lines.join('\n')

  const productId = input.products.find((product) => product.active !== false)?.id ?? input.products[0]!.id
  const auth = '-H "Authorization: tma $INIT"'
  const body = JSON.stringify({ productId })
  lines.push(
    '',
    `Running on the Telegram simulator at ${simUrl}, since no --bot-token was given: no real Telegram, no real Stars.`,
    'Try it (bash or zsh):',
    `  INIT=$(${self} init-data --sim ${simUrl} --user-id 1001)`,
    `  curl -s -w '\\n' ${apiUrl}/products`,
    `  ORDER=$(curl -s -X POST ${apiUrl}/orders ${auth} -H 'Content-Type: application/json' -H "Idempotency-Key: try-$RANDOM$RANDOM" -d '${body}' | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).id')`,
    `  curl -s -w '\\n' ${apiUrl}/orders/$ORDER ${auth}`,
    `  ${self} pay $ORDER --user-id 1001 --sim ${simUrl}`,
    `  curl -s -w '\\n' ${apiUrl}/orders/$ORDER ${auth}`,
    'Stop with Ctrl-C.',
  )
  return lines.join('\n')
}
