import { existsSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Product } from '../../core'
import { MIN_ADMIN_KEY_LENGTH } from '../../server/admin-auth'
import { originProblem } from '../../server/cors'
import {
  allowedUpdates,
  DEFAULT_UPDATE_TYPES,
  UPDATE_TYPES,
  type UpdateType,
} from '../../server/telegram/update-types'
import { UsageError } from '../errors'
import { flagListOrEnv, flagOrEnv, parseFlags, parseHttpUrl, parsePort, switchOrEnv } from '../flags'
import { serveFlags } from './flags'
import { loadProductsFile } from './products-file'
import { parseStoreSpec, type StoreSpec } from './store-spec'

/** What the flags say, before the products file is read: what `tma-pay doctor` checks the rest against. */
export interface ServeFlags {
  port: number
  host: string
  basePath: string
  productsFile: string
  store: StoreSpec
  /** Absent: run on the Telegram simulator. */
  botToken?: string
  apiRoot?: string
  webhookSecret?: string
  publicUrl?: string
  /** Updates by getUpdates instead of a webhook. */
  polling: boolean
  /** Pre-checkouts answered by a Bot API call, not in the webhook's response. */
  preCheckoutCall: boolean
  /** Where updates tma-pay does not consume go. */
  forward?: { url: string; secret: string }
  /** The app's own bot, run in serve's process: the module's file URL, and the name it was given by. */
  botModule?: { url: string; name: string }
  /** What setWebhook and getUpdates ask for: tma-pay's types, and those of the app's bot (forward URL or module). */
  allowedUpdates: UpdateType[]
  notify?: { url: string; secret: string }
  adminKey?: string
  /** Origins allowed to call the API from a browser (CORS); empty: same origin only. */
  corsOrigins: string[]
  /** For products priced in a currency other than XTR. */
  providerToken?: string
  /** 0: no reconciliation. */
  reconcileIntervalMs: number
  simPort: number
  /** Prometheus metrics at GET /metrics, behind the admin key. */
  metrics: boolean
  logFormat: 'text' | 'json'
}

export interface ServeConfig extends ServeFlags {
  products: Product[]
}

const WEBHOOK_SECRET = /^[A-Za-z0-9_-]{1,256}$/
const BOT_TOKEN = /^\d+:[A-Za-z0-9_-]+$/

/** `tma-pay serve` flags and environment, checked: every mistake is a UsageError (exit 2). `undefined` means --help. */
export function resolveServeConfig(argv: string[], env: NodeJS.ProcessEnv): ServeConfig | undefined {
  const flags = parseServeFlags('serve', argv, env)
  if (!flags) return undefined
  const adminKeyProblem = adminKeyLengthProblem(flags.adminKey)
  if (adminKeyProblem) throw new UsageError(adminKeyProblem)
  // Last: the flags are cheap to check, and their errors should not hide behind a long product list.
  const products = loadProductsFile(flags.productsFile)
  const fiatProblem = providerTokenProblem(flags, products)
  if (fiatProblem) throw new UsageError(fiatProblem)
  return { ...flags, products }
}

/** Why an admin key is too short to guard refunds, or undefined. */
export const adminKeyLengthProblem = (adminKey: string | undefined) =>
  adminKey !== undefined && adminKey.length < MIN_ADMIN_KEY_LENGTH
    ? `--admin-key (TMA_PAY_ADMIN_KEY) must be at least ${MIN_ADMIN_KEY_LENGTH} characters, as it can refund every order: make one with \`openssl rand -hex 32\`.`
    : undefined

/**
 * Why the catalog cannot be sold with this bot: a product in another currency than XTR with no provider token
 * (on the simulator a test token stands in). Said at start, not at the first buyer.
 */
export function providerTokenProblem(flags: ServeFlags, products: readonly Product[]) {
  const fiat = products.find((product) => (product.currency ?? 'XTR') !== 'XTR')
  return fiat && flags.botToken && !flags.providerToken
    ? `Product "${fiat.id}" is priced in ${fiat.currency}: --provider-token (TMA_PAY_PROVIDER_TOKEN) is required for currencies other than XTR.`
    : undefined
}

/** The flags of `command` (serve or doctor), checked but for the products file and the admin key's length. */
export function parseServeFlags(
  command: string,
  argv: string[],
  env: NodeJS.ProcessEnv,
): ServeFlags | undefined {
  const { values, lists } = parseFlags(command, argv, serveFlags)
  if (values.help) return undefined
  const spec = (name: string) => serveFlags.find((flag) => flag.name === name)!
  const get = (name: string) => flagOrEnv(values, spec(name), env)

  const productsFile = get('products')
  if (!productsFile)
    throw new UsageError(`${command}: --products FILE.json is required (see examples/products.json).`)
  const botToken = get('bot-token')
  if (botToken !== undefined && !BOT_TOKEN.test(botToken)) {
    throw new UsageError(
      '--bot-token does not look like a bot token (123456789:AA...); get one from @BotFather.',
    )
  }
  const polling = switchOrEnv(values, spec('polling'), env)
  const webhookSecret = get('webhook-secret')
  const publicUrl = get('public-url')
  if (polling && (webhookSecret !== undefined || publicUrl !== undefined))
    throw new UsageError(
      `--polling takes updates by getUpdates, with no webhook: drop --${publicUrl !== undefined ? 'public-url (TMA_PAY_PUBLIC_URL)' : 'webhook-secret (TMA_PAY_WEBHOOK_SECRET)'}, or --polling to use the webhook.`,
    )
  if (webhookSecret !== undefined && !WEBHOOK_SECRET.test(webhookSecret)) {
    throw new UsageError(
      '--webhook-secret must be 1-256 characters of A-Z a-z 0-9 _ - (Telegram allows no others).',
    )
  }
  if (botToken && !webhookSecret && !polling) {
    throw new UsageError(
      '--webhook-secret (TMA_PAY_WEBHOOK_SECRET) is required with a bot token: without it anyone could post fake payments to the webhook. (Or --polling, which needs no webhook.)',
    )
  }
  const notify = urlWithSecret(get, 'notify', 'your backend checks the signature with it')
  const forward = urlWithSecret(get, 'forward', 'your bot’s webhook checks it as Telegram’s secret token')
  if (forward && !WEBHOOK_SECRET.test(forward.secret))
    throw new UsageError(
      '--forward-secret must be 1-256 characters of A-Z a-z 0-9 _ - (what Telegram allows as a secret token).',
    )
  const botModule = parseBotModule(get('bot-module'))
  if (botModule && forward)
    throw new UsageError(
      '--bot-module runs your bot inside tma-pay serve and gives it every update tma-pay does not consume, which --forward-url would post elsewhere: give one of them.',
    )
  const basePath = (get('base-path') ?? '/api/pay').replace(/\/+$/, '')
  if (basePath && !/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(basePath)) {
    throw new UsageError(
      `--base-path must be a path starting with /, such as /api/pay, not ${JSON.stringify(basePath)}.`,
    )
  }
  const apiRoot = get('api-root')
  if (apiRoot && !botToken)
    throw new UsageError('--api-root needs --bot-token (without a token the simulator runs, at its own URL).')
  const adminKey = get('admin-key')
  const corsOrigins = flagListOrEnv(lists, spec('cors-origin'), env)
  for (const origin of corsOrigins) {
    const problem = originProblem(origin)
    if (problem) throw new UsageError(`--cors-origin (TMA_PAY_CORS_ORIGIN): ${problem}.`)
  }
  const providerToken = get('provider-token')
  const metrics = switchOrEnv(values, spec('metrics'), env)
  if (metrics && !adminKey)
    throw new UsageError(
      '--metrics needs --admin-key (TMA_PAY_ADMIN_KEY): /metrics tells payment volumes, so Prometheus scrapes it with the admin key as its bearer token.',
    )
  const logFormat = get('log-format') ?? 'text'
  if (logFormat !== 'text' && logFormat !== 'json')
    throw new UsageError(`--log-format must be text or json, not ${JSON.stringify(logFormat)}.`)
  return {
    port: parsePort('port', get('port') ?? '3000'),
    host: get('host') ?? '127.0.0.1',
    basePath,
    store: parseStoreSpec(get('store') ?? 'pglite:./.tma-pay'),
    productsFile,
    ...(botToken ? { botToken } : {}),
    ...(apiRoot ? { apiRoot: withoutTrailingSlash(parseHttpUrl('api-root', apiRoot)) } : {}),
    ...(webhookSecret ? { webhookSecret } : {}),
    ...(publicUrl ? { publicUrl: withoutTrailingSlash(parseHttpUrl('public-url', publicUrl)) } : {}),
    polling,
    preCheckoutCall: switchOrEnv(values, spec('pre-checkout-call'), env),
    ...(forward ? { forward } : {}),
    ...(botModule ? { botModule } : {}),
    allowedUpdates: parseAllowedUpdates(get('allowed-updates'), forward !== undefined || !!botModule),
    ...(notify ? { notify } : {}),
    ...(adminKey ? { adminKey } : {}),
    corsOrigins,
    ...(providerToken ? { providerToken } : {}),
    reconcileIntervalMs: parseInterval('reconcile-interval', get('reconcile-interval') ?? '60000'),
    simPort: parsePort('sim-port', get('sim-port') ?? '0'),
    metrics,
    logFormat,
  }
}

/** `--NAME-url` with `--NAME-secret`: both or neither. */
function urlWithSecret(get: (name: string) => string | undefined, name: string, why: string) {
  const url = get(`${name}-url`)
  const secret = get(`${name}-secret`)
  const env = (flag: string) => `TMA_PAY_${flag.toUpperCase().replace('-', '_')}`
  if (url && !secret)
    throw new UsageError(
      `--${name}-secret (${env(`${name}-secret`)}) is required with --${name}-url: ${why}.`,
    )
  if (secret && !url) throw new UsageError(`--${name}-secret is given but --${name}-url is not.`)
  return url && secret ? { url: parseHttpUrl(`${name}-url`, url), secret } : undefined
}

/** `--bot-module`: a path from the current directory or a file: URL, naming a file that is there. */
function parseBotModule(text: string | undefined): { url: string; name: string } | undefined {
  if (text === undefined) return undefined
  let path: string
  try {
    path = text.startsWith('file:') ? fileURLToPath(text) : resolve(text)
  } catch {
    throw new UsageError(`--bot-module: ${JSON.stringify(text)} is not a file: URL; give a path instead.`)
  }
  if (!existsSync(path) || !statSync(path).isFile())
    throw new UsageError(
      `--bot-module (TMA_PAY_BOT_MODULE): there is no file ${path}; give the path of your bot's module (e.g. bot.mjs, from the current directory).`,
    )
  return { url: pathToFileURL(path).href, name: text }
}

/**
 * allowed_updates: tma-pay's own types, plus those of the app's bot, behind the forward URL or the bot module
 * (`--allowed-updates`, default Telegram's default set). Without either nothing else would reach anyone, so
 * other types are not asked for.
 */
function parseAllowedUpdates(text: string | undefined, appBot: boolean): UpdateType[] {
  if (text === undefined) return allowedUpdates(appBot ? DEFAULT_UPDATE_TYPES : [])
  if (!appBot)
    throw new UsageError(
      '--allowed-updates (TMA_PAY_ALLOWED_UPDATES) names the updates your own bot needs: it needs --forward-url or --bot-module (without either tma-pay asks for message and pre_checkout_query only).',
    )
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean)
  const unknown = names.filter((name) => !(UPDATE_TYPES as readonly string[]).includes(name))
  if (unknown.length > 0)
    throw new UsageError(
      `--allowed-updates: ${unknown.map((name) => JSON.stringify(name)).join(', ')} ${unknown.length > 1 ? 'are not update types' : 'is not an update type'}; Telegram's are ${UPDATE_TYPES.join(', ')}.`,
    )
  return allowedUpdates(names)
}

const MAX_TIMER_MS = 2_147_483_647

function parseInterval(name: string, text: string): number {
  const ms = Number(text)
  // Timers take at most 2^31-1 ms; Node runs a longer one after 1 ms instead.
  if (!/^\d{1,10}$/.test(text) || ms > MAX_TIMER_MS)
    throw new UsageError(
      `--${name} must be milliseconds from 0 (off) to ${MAX_TIMER_MS}, not ${JSON.stringify(text)}.`,
    )
  return ms
}

const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, '')
