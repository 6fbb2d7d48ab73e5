// The checks of `tma-pay doctor`, each one line: what it found, and for a problem what to do about it.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { type Api, GrammyError } from 'grammy'
import type { Product } from '../../core'
import { invoicePrices } from '../../server/invoice-link'
import { NOTIFY_SIGNATURE_HEADER, signNotifyBody } from '../../server/notify'
import { redactUrl } from '../../server/redact'
import { DEFAULT_UPDATE_TYPES, PAY_UPDATE_TYPES } from '../../server/telegram/update-types'
import { adminKeyLengthProblem, providerTokenProblem, type ServeFlags } from './config'
import { telegramErrorText } from './telegram-text'
import { webhookPath } from './urls'

export interface CheckResult {
  ok: boolean
  name: string
  text: string
  /** What to do, for a problem. */
  fix?: string
}

const ok = (name: string, text: string): CheckResult => ({ ok: true, name, text })
const problem = (name: string, text: string, fix: string): CheckResult => ({ ok: false, name, text, fix })

export const resultLine = (result: CheckResult) =>
  result.ok ? `✓ ${result.name}: ${result.text}` : `✗ ${result.name}: ${result.text} — fix: ${result.fix}`

const TIMEOUT_MS = 10_000
// grammY types its signal parameter with the abort-controller shim's AbortSignal; Node's is the same at runtime.
const timeout = () => AbortSignal.timeout(TIMEOUT_MS) as unknown as Parameters<Api['getMe']>[0]

export async function checkBot(api: Api, flags: ServeFlags): Promise<CheckResult> {
  try {
    const me = await api.getMe(timeout())
    return ok('bot', `@${me.username} (id ${me.id})`)
  } catch (error) {
    if (error instanceof GrammyError)
      return problem(
        'bot',
        `Telegram refused the token (${error.error_code}: ${error.description})`,
        'copy the token again from @BotFather (/mybots → your bot → API Token) into --bot-token or TMA_PAY_BOT_TOKEN',
      )
    // The request's own timeout shows as an abort of it.
    const timedOut = /abort/i.test(String((error as { error?: unknown }).error))
    return problem(
      'bot',
      `cannot reach the Bot API at ${redactUrl(flags.apiRoot ?? 'https://api.telegram.org')}: ${timedOut ? `no answer in ${TIMEOUT_MS / 1000} s` : telegramErrorText(error, flags.botToken!)}`,
      'check this machine’s network (and --api-root, if you gave one)',
    )
  }
}

type WebhookInfo = Awaited<ReturnType<Api['getWebhookInfo']>>

/** The webhook lines: where updates go, which ones Telegram sends, and whether delivery works. */
export async function checkWebhook(api: Api, flags: ServeFlags, botOk: boolean): Promise<CheckResult[]> {
  if (!botOk) return [problem('webhook', 'not checked', 'make the bot token work first (see above)')]
  let info: WebhookInfo
  try {
    info = await api.getWebhookInfo(timeout())
  } catch (error) {
    return [
      problem(
        'webhook',
        `getWebhookInfo failed: ${telegramErrorText(error, flags.botToken!)}`,
        'run the doctor again',
      ),
    ]
  }
  return [webhookUrl(info, flags), updateTypes(info, flags), delivery(info, flags)]
}

function webhookUrl(info: WebhookInfo, flags: ServeFlags): CheckResult {
  const set = info.url ? redactUrl(info.url) : undefined
  if (flags.polling)
    return set
      ? problem(
          'webhook',
          `set to ${set}, and Telegram refuses getUpdates while a webhook is set`,
          'start tma-pay serve --polling (it removes the webhook at start), or drop --polling to keep that webhook',
        )
      : ok('webhook', 'none set, as long polling (--polling) needs')
  if (!flags.publicUrl)
    return set
      ? ok('webhook', `${set} (not compared with tma-pay's: no --public-url given)`)
      : problem(
          'webhook',
          'none set: Telegram keeps the updates for getUpdates, and no pre-checkout reaches tma-pay',
          'give --public-url (tma-pay serve calls setWebhook at start), or use --polling',
        )
  const expected = `${flags.publicUrl}${flags.basePath}${webhookPath}`
  if (info.url === expected) return ok('webhook', redactUrl(expected))
  if (!set)
    return problem(
      'webhook',
      `none set, so nothing reaches ${redactUrl(expected)}`,
      'start tma-pay serve with these flags: it calls setWebhook at start',
    )
  return problem(
    'webhook',
    `set to ${set}, not ${redactUrl(expected)}: Telegram sends this bot's updates, pre-checkouts included, there`,
    `start tma-pay serve with these flags (it calls setWebhook at start); if ${set} is your bot's own webhook, give it to tma-pay serve as --forward-url, or use pay.botMiddleware() in that bot`,
  )
}

const consequences: Record<string, string> = {
  pre_checkout_query: 'no pre-checkout reaches tma-pay, so every payment fails after 10 s',
  message: 'no successful_payment reaches tma-pay (paid orders show late, by reconciliation)',
}

function updateTypes(info: WebhookInfo, flags: ServeFlags): CheckResult {
  const asked = info.allowed_updates as readonly string[] | undefined
  const current = asked && asked.length > 0 ? asked : DEFAULT_UPDATE_TYPES
  const shown = asked && asked.length > 0 ? asked.join(', ') : "Telegram's default set"
  const missing = flags.allowedUpdates.filter((type) => !current.includes(type))
  if (missing.length === 0)
    return ok('allowed updates', `${shown} (tma-pay needs ${PAY_UPDATE_TYPES.join(', ')})`)
  const why = missing
    .map(
      (type) =>
        `without ${type}${consequences[type] ? `: ${consequences[type]}` : ', which --allowed-updates asks for'}`,
    )
    .join('; ')
  return problem(
    'allowed updates',
    `${shown}, ${why}`,
    `start tma-pay serve with these flags: its ${flags.polling ? 'getUpdates' : 'setWebhook'} asks for ${flags.allowedUpdates.join(', ')}`,
  )
}

/** A last error older than this is history, not a problem. */
const RECENT_ERROR_SECONDS = 24 * 3600

function delivery(info: WebhookInfo, flags: ServeFlags): CheckResult {
  const pending = `${info.pending_update_count} update${info.pending_update_count === 1 ? '' : 's'} waiting`
  if (flags.polling || !info.url) return ok('delivery', `${pending} for getUpdates`)
  const at = info.last_error_date
  if (!at || !info.last_error_message) return ok('delivery', `no errors; ${pending}`)
  const when = new Date(at * 1000).toISOString()
  if (Date.now() / 1000 - at > RECENT_ERROR_SECONDS)
    return ok(
      'delivery',
      `no errors in the last 24 h (the last, at ${when}: ${info.last_error_message}); ${pending}`,
    )
  return problem(
    'delivery',
    `Telegram's last delivery to the webhook failed at ${when}: "${info.last_error_message}"; ${pending}`,
    `make sure tma-pay serve runs and ${redactUrl(info.url)} reaches it over HTTPS (a reverse proxy or tunnel); Telegram retries for a while, then drops updates`,
  )
}

/** The store: reachable, and migrated by this version; a PGlite directory in use counts as a running server's. */
export async function checkStore(flags: ServeFlags): Promise<CheckResult> {
  const { store } = flags
  const name = 'store'
  const fix =
    'check that --store is the store of the running tma-pay serve (it creates and migrates its store at start)'
  if (store.dir === 'memory://')
    return ok(name, `${store.label}: nothing to check, tma-pay serve migrates it at start`)
  if (store.dir && !existsSync(store.dir)) return problem(name, `${store.label}: no such directory`, fix)
  let opened: ReturnType<typeof store.open>
  try {
    opened = store.open()
  } catch (error) {
    const holder = /in use by process (\d+)/.exec((error as Error).message)
    return holder
      ? ok(name, `${store.label}: in use by a running process (${holder[1]}), not opened`)
      : problem(name, `${store.label}: ${(error as Error).message}`, fix)
  }
  try {
    const status = await opened.migrationStatus?.()
    if (!status) return ok(name, `${store.label}: reachable`)
    const { applied, latest } = status
    if (applied === latest) return ok(name, `${store.label}: reachable, migrated (${latest} migrations)`)
    if (applied === 0) return problem(name, `${store.label}: reachable, but it has no tma-pay tables`, fix)
    if (applied < latest)
      return problem(
        name,
        `${store.label}: migrated to ${applied} of ${latest}`,
        'start this version of tma-pay serve: it applies the rest at start',
      )
    return problem(
      name,
      `${store.label}: migrated by a newer tma-pay (${applied} migrations; this one knows ${latest})`,
      'upgrade tma-pay to the version that runs on this store',
    )
  } catch (error) {
    return problem(
      name,
      `${store.label}: cannot connect (${(error as Error).message})`,
      'check the URL, that the database runs, and that this machine may connect to it',
    )
  } finally {
    await opened.close().catch(() => {})
  }
}

/** A product in another currency than XTR needs a provider token Telegram takes: a test invoice link shows it does. */
export async function checkProviderToken(
  api: Api,
  flags: ServeFlags,
  products: readonly Product[],
  botOk: boolean,
): Promise<CheckResult> {
  const name = 'provider token'
  const fiat = products.find((product) => (product.currency ?? 'XTR') !== 'XTR')
  if (!fiat) return ok(name, 'not needed: every product is priced in Stars (XTR)')
  const missing = providerTokenProblem(flags, products)
  if (missing) return problem(name, missing, 'get one in @BotFather → your bot → Payments')
  if (!botOk) return problem(name, 'not checked', 'make the bot token work first (see above)')
  try {
    // An invoice link names no order, and a payment of it would be refused: harmless to make.
    await api.createInvoiceLink(
      fiat.title,
      fiat.description,
      'tma-pay-doctor',
      flags.providerToken!,
      fiat.currency!,
      invoicePrices(fiat, 1, fiat.amount),
      {},
      timeout(),
    )
    return ok(name, `Telegram made a test invoice link for "${fiat.id}" (${fiat.currency}) with it`)
  } catch (error) {
    return problem(
      name,
      `Telegram refused a test invoice link for "${fiat.id}" (${fiat.currency}): ${telegramErrorText(error, flags.botToken!)}`,
      'copy the provider token again from @BotFather → your bot → Payments (a test token for tests, a live one for real money)',
    )
  }
}

export function checkAdminKey(adminKey: string | undefined): CheckResult {
  const name = 'admin key'
  const fix = 'make one with `openssl rand -hex 32`'
  if (adminKey === undefined)
    return ok(name, 'none: the admin routes (every order, refunds, chat invoices) answer 404')
  const short = adminKeyLengthProblem(adminKey)
  if (short) return problem(name, short, fix)
  const distinct = new Set(adminKey).size
  if (distinct < 8 || /^(.+?)\1+$/.test(adminKey))
    return problem(
      name,
      `${adminKey.length} characters, but ${distinct < 8 ? `only ${distinct} different ones` : 'a short pattern repeated'}: easy to guess`,
      fix,
    )
  return ok(name, `${adminKey.length} characters, ${distinct} different ones`)
}

/** The notify URL gets a signed test event (`type: "test"`), as it will get order.paid and order.refunded. */
export async function checkNotify(flags: ServeFlags): Promise<CheckResult> {
  const name = 'notify'
  if (!flags.notify) return ok(name, 'none (no --notify-url): no backend hears of paid orders')
  const where = redactUrl(flags.notify.url)
  const body = JSON.stringify({ id: `test_${randomBytes(8).toString('hex')}`, type: 'test' })
  let status: number
  try {
    const response = await fetch(flags.notify.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'tma-pay doctor',
        [NOTIFY_SIGNATURE_HEADER]: signNotifyBody(body, flags.notify.secret),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
    status = response.status
    await response.body?.cancel()
  } catch (error) {
    const reason =
      error instanceof Error && error.name === 'TimeoutError'
        ? `no answer in ${TIMEOUT_MS} ms`
        : String((error as { cause?: unknown }).cause ?? error)
    return problem(
      name,
      `${where} cannot be reached (${reason})`,
      'start your backend, or check --notify-url',
    )
  }
  if (status >= 200 && status <= 299) return ok(name, `${where} answered ${status} to a signed test event`)
  return problem(
    name,
    `${where} answered ${status} to a signed test event`,
    status === 401 || status === 403
      ? 'your backend must check X-Tma-Pay-Signature with the same secret as --notify-secret (verifyNotifySignature)'
      : 'answer 2xx to events of a type you do not handle (this one is "test"), and check --notify-url',
  )
}
