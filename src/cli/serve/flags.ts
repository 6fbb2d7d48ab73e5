import { MIN_ADMIN_KEY_LENGTH } from '../../server/admin-auth'
import type { FlagSpec } from '../flags'

/** The flags of `tma-pay serve`, which `tma-pay doctor` takes too. */
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
    name: 'polling',
    value: '',
    env: 'TMA_PAY_POLLING',
    boolean: true,
    help: 'take updates by getUpdates instead of a webhook (removes a webhook set elsewhere); no --public-url or --webhook-secret needed',
  },
  {
    name: 'pre-checkout-call',
    value: '',
    env: 'TMA_PAY_PRE_CHECKOUT_CALL',
    boolean: true,
    help: "answer pre-checkouts by an answerPreCheckoutQuery call (Telegram's refusals logged), not in the webhook's response",
  },
  {
    name: 'forward-url',
    value: 'URL',
    env: 'TMA_PAY_FORWARD_URL',
    help: "your bot's own webhook: every update tma-pay does not consume is POSTed there as Telegram sent it",
  },
  {
    name: 'forward-secret',
    value: 'SECRET',
    env: 'TMA_PAY_FORWARD_SECRET',
    help: 'sent with forwarded updates as X-Telegram-Bot-Api-Secret-Token (required with --forward-url)',
  },
  {
    name: 'bot-module',
    value: 'FILE',
    env: 'TMA_PAY_BOT_MODULE',
    help: 'your own grammY bot, run in this process and given every update: a module (a path from the current directory, or a file: URL) whose default export makes it (see "Bot module" below); not with --forward-url',
  },
  {
    name: 'allowed-updates',
    value: 'LIST',
    env: 'TMA_PAY_ALLOWED_UPDATES',
    help: "update types your bot needs (behind --forward-url or --bot-module), comma-separated; tma-pay adds message and pre_checkout_query (default: Telegram's default set)",
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
  {
    name: 'metrics',
    value: '',
    env: 'TMA_PAY_METRICS',
    boolean: true,
    help: 'Prometheus metrics at GET /metrics, behind Authorization: Bearer <admin key> (needs --admin-key and npm install prom-client)',
  },
  {
    name: 'log-format',
    value: 'FORMAT',
    env: 'TMA_PAY_LOG_FORMAT',
    help: 'text, or json: one JSON object per line; secrets are masked in both (default text)',
  },
]
