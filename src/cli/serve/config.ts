import type { Product } from '../../core'
import { MIN_ADMIN_KEY_LENGTH } from '../../server/admin-auth'
import { originProblem } from '../../server/cors'
import { UsageError } from '../errors'
import { type FlagSpec, flagListOrEnv, flagOrEnv, parseFlags, parseHttpUrl, parsePort } from '../flags'
import { loadProductsFile } from './products-file'
import { parseStoreSpec, type StoreSpec } from './store-spec'

export const serveFlags: readonly FlagSpec[] = [
  {
    name: 'products',
    value: 'FILE.json',
    env: 'TMA_PAY_PRODUCTS',
    help: 'the catalog, a JSON array of products (required)',
  },
  { name: 'port', value: 'PORT', env: 'PORT', help: 'port to listen on; 0 picks a free one (default 3000)' },
  {
    name: 'host',
    value: 'HOST',
    env: 'TMA_PAY_HOST',
    help: 'address to listen on; 0.0.0.0 for every interface (default 127.0.0.1)',
  },
  {
    name: 'base-path',
    value: 'PATH',
    env: 'TMA_PAY_BASE_PATH',
    help: 'path prefix of the API (default /api/pay)',
  },
  {
    name: 'store',
    value: 'SPEC',
    env: 'TMA_PAY_STORE',
    help: 'pglite:DIR or postgres://user:pass@host/db (default pglite:./.tma-pay)',
  },
  {
    name: 'bot-token',
    value: 'TOKEN',
    env: 'TMA_PAY_BOT_TOKEN',
    help: "the bot's token from @BotFather; without it the Telegram simulator runs",
  },
  {
    name: 'api-root',
    value: 'URL',
    env: 'TMA_PAY_API_ROOT',
    help: 'Bot API base URL (default https://api.telegram.org)',
  },
  {
    name: 'webhook-secret',
    value: 'SECRET',
    env: 'TMA_PAY_WEBHOOK_SECRET',
    help: 'secret_token of the webhook, 1-256 of A-Z a-z 0-9 _ - (required with --bot-token; random on the simulator)',
  },
  {
    name: 'public-url',
    value: 'URL',
    env: 'TMA_PAY_PUBLIC_URL',
    help: "this server's public origin; given, setWebhook(URL + base path + '/telegram/webhook') runs at start",
  },
  {
    name: 'notify-url',
    value: 'URL',
    env: 'TMA_PAY_NOTIFY_URL',
    help: "your backend's endpoint for signed order.paid / order.refunded POSTs",
  },
  {
    name: 'notify-secret',
    value: 'SECRET',
    env: 'TMA_PAY_NOTIFY_SECRET',
    help: 'HMAC key of X-Tma-Pay-Signature (required with --notify-url)',
  },
  {
    name: 'admin-key',
    value: 'KEY',
    env: 'TMA_PAY_ADMIN_KEY',
    help: `bearer key of the admin routes (/admin/orders, refunds), ${MIN_ADMIN_KEY_LENGTH}+ characters (openssl rand -hex 32); without it they answer 404`,
  },
  {
    name: 'cors-origin',
    value: 'ORIGIN',
    env: 'TMA_PAY_CORS_ORIGIN',
    multiple: true,
    help: 'a browser origin (https://shop.example) whose pages may call the API; repeatable or comma-separated (default: none, same origin only)',
  },
  {
    name: 'provider-token',
    value: 'TOKEN',
    env: 'TMA_PAY_PROVIDER_TOKEN',
    help: 'payment provider token (BotFather → Payments) for products in currencies other than XTR',
  },
  {
    name: 'reconcile-interval',
    value: 'MS',
    env: 'TMA_PAY_RECONCILE_INTERVAL_MS',
    help: 'how often getStarTransactions is checked for payments whose webhook was lost; 0 turns it off (default 60000)',
  },
  {
    name: 'sim-port',
    value: 'PORT',
    env: 'TMA_PAY_SIM_PORT',
    help: 'port of the simulator, when it runs; 0 picks a free one (default 0)',
  },
]

export interface ServeConfig {
  port: number
  host: string
  basePath: string
  productsFile: string
  products: Product[]
  store: StoreSpec
  /** Absent: run on the Telegram simulator. */
  botToken?: string
  apiRoot?: string
  webhookSecret?: string
  publicUrl?: string
  notify?: { url: string; secret: string }
  adminKey?: string
  /** Origins allowed to call the API from a browser (CORS); empty: same origin only. */
  corsOrigins: string[]
  /** For products priced in a currency other than XTR. */
  providerToken?: string
  /** 0: no reconciliation. */
  reconcileIntervalMs: number
  simPort: number
}

const WEBHOOK_SECRET = /^[A-Za-z0-9_-]{1,256}$/
const BOT_TOKEN = /^\d+:[A-Za-z0-9_-]+$/

/** `tma-pay serve` flags and environment, checked: every mistake is a UsageError (exit 2). `undefined` means --help. */
export function resolveServeConfig(argv: string[], env: NodeJS.ProcessEnv): ServeConfig | undefined {
  const { values, lists } = parseFlags('serve', argv, serveFlags)
  if (values.help) return undefined
  const spec = (name: string) => serveFlags.find((flag) => flag.name === name)!
  const get = (name: string) => flagOrEnv(values, spec(name), env)

  const productsFile = get('products')
  if (!productsFile)
    throw new UsageError('serve: --products FILE.json is required (see examples/products.json).')
  const botToken = get('bot-token')
  if (botToken !== undefined && !BOT_TOKEN.test(botToken)) {
    throw new UsageError(
      '--bot-token does not look like a bot token (123456789:AA...); get one from @BotFather.',
    )
  }
  const webhookSecret = get('webhook-secret')
  if (webhookSecret !== undefined && !WEBHOOK_SECRET.test(webhookSecret)) {
    throw new UsageError(
      '--webhook-secret must be 1-256 characters of A-Z a-z 0-9 _ - (Telegram allows no others).',
    )
  }
  if (botToken && !webhookSecret) {
    throw new UsageError(
      '--webhook-secret (TMA_PAY_WEBHOOK_SECRET) is required with a bot token: without it anyone could post fake payments to the webhook.',
    )
  }
  const notifyUrl = get('notify-url')
  const notifySecret = get('notify-secret')
  if (notifyUrl && !notifySecret)
    throw new UsageError(
      '--notify-secret (TMA_PAY_NOTIFY_SECRET) is required with --notify-url: your backend checks the signature with it.',
    )
  if (notifySecret && !notifyUrl) throw new UsageError('--notify-secret is given but --notify-url is not.')

  const basePath = (get('base-path') ?? '/api/pay').replace(/\/+$/, '')
  if (basePath && !/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(basePath)) {
    throw new UsageError(
      `--base-path must be a path starting with /, such as /api/pay, not ${JSON.stringify(basePath)}.`,
    )
  }
  const apiRoot = get('api-root')
  if (apiRoot && !botToken)
    throw new UsageError('--api-root needs --bot-token (without a token the simulator runs, at its own URL).')
  const publicUrl = get('public-url')
  const adminKey = get('admin-key')
  if (adminKey !== undefined && adminKey.length < MIN_ADMIN_KEY_LENGTH) {
    throw new UsageError(
      `--admin-key (TMA_PAY_ADMIN_KEY) must be at least ${MIN_ADMIN_KEY_LENGTH} characters, as it can refund every order: make one with \`openssl rand -hex 32\`.`,
    )
  }
  const corsOrigins = flagListOrEnv(lists, spec('cors-origin'), env)
  for (const origin of corsOrigins) {
    const problem = originProblem(origin)
    if (problem) throw new UsageError(`--cors-origin (TMA_PAY_CORS_ORIGIN): ${problem}.`)
  }
  const providerToken = get('provider-token')
  const config = {
    port: parsePort('port', get('port') ?? '3000'),
    host: get('host') ?? '127.0.0.1',
    basePath,
    store: parseStoreSpec(get('store') ?? 'pglite:./.tma-pay'),
    productsFile,
    ...(botToken ? { botToken } : {}),
    ...(apiRoot ? { apiRoot: withoutTrailingSlash(parseHttpUrl('api-root', apiRoot)) } : {}),
    ...(webhookSecret ? { webhookSecret } : {}),
    ...(publicUrl ? { publicUrl: withoutTrailingSlash(parseHttpUrl('public-url', publicUrl)) } : {}),
    ...(notifyUrl && notifySecret
      ? { notify: { url: parseHttpUrl('notify-url', notifyUrl), secret: notifySecret } }
      : {}),
    ...(adminKey ? { adminKey } : {}),
    corsOrigins,
    ...(providerToken ? { providerToken } : {}),
    reconcileIntervalMs: parseInterval('reconcile-interval', get('reconcile-interval') ?? '60000'),
    simPort: parsePort('sim-port', get('sim-port') ?? '0'),
  }
  // Last: the flags are cheap to check, and their errors should not hide behind a long product list.
  const products = loadProductsFile(productsFile)
  // With a real bot such a product could never be sold: say so at start, not at the first buyer.
  // (On the simulator a test provider token stands in.)
  const fiat = products.find((product) => (product.currency ?? 'XTR') !== 'XTR')
  if (fiat && botToken && !providerToken) {
    throw new UsageError(
      `Product "${fiat.id}" is priced in ${fiat.currency}: --provider-token (TMA_PAY_PROVIDER_TOKEN) is required for currencies other than XTR.`,
    )
  }
  return { ...config, products }
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
