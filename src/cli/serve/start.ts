import { randomBytes } from 'node:crypto'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { buildPayServer } from '../../server/app'
import { consoleLogger, jsonLogger, type Logger, redactingLogger } from '../../server/logger'
import { createNotifier } from '../../server/notify'
import type { PayServer } from '../../server/pay-server'
import { type PrometheusMetrics, prometheusMetrics } from '../../server/prometheus'
import { redactUrl } from '../../server/redact'
import type { PayStore } from '../../server/store/types'
import type { Polling } from '../../server/telegram/bot'
import type { TelegramSimulator } from '../../testing/simulator/index'
import { CliError } from '../errors'
import { selfCommand } from '../self'
import { banner } from './banner'
import { importBotModule } from './bot-module'
import type { ServeConfig } from './config'
import { telegramErrorText } from './telegram-text'
import { localOrigin, webhookPath } from './urls'

/** What the server sends as provider token on the simulator when none is given. */
const SIMULATOR_PROVIDER_TOKEN = '1:TEST:tma-pay-simulator'

/** A running `tma-pay serve`: the HTTP server, the pay server and its store, and the simulator if it runs. */
export interface RunningServe {
  apiUrl: string
  close(): Promise<void>
  /** Resolves with what to say when something that runs fails for good (Telegram ending long polling); else never. */
  failure: Promise<string>
  /** With --log-format json, a line of serve's own (shutting down, a failure) as a JSON event; else undefined. */
  jsonLog?: (level: 'info' | 'error', message: string) => void
}

/** Starts everything, prints the banner, and returns once listening. A failure closes what was started. */
export async function startServe(
  config: ServeConfig,
  out: (text: string) => void = console.log,
): Promise<RunningServe> {
  const cleanups: Array<() => Promise<void>> = []
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
  }
  try {
    // First: a module that does not import, or exports no function, is said before anything opens or listens.
    const makeAppBot = config.botModule && (await importBotModule(config.botModule))
    const store = config.store.open()
    let ownsStore = true
    cleanups.push(async () => {
      if (ownsStore) await store.close()
    })
    await migrate(store, config.store.label)

    let sim: TelegramSimulator | undefined
    if (!config.botToken) {
      // Imported only here: a real deployment never loads the simulator.
      const { createTelegramSimulator } = await import('../../testing/simulator/index')
      // Mini Apps on this machine are http:// (a dev server): the simulator takes them in web_app buttons, as
      // Telegram's test environment does.
      sim = await createTelegramSimulator({ port: config.simPort, host: config.host, allowHttpWebApps: true })
      cleanups.push(() => sim!.close())
    }
    const simUrl = sim && localOrigin(config.host, Number(new URL(sim.url).port))
    const notifier = config.notify && createNotifier(config.notify)
    // Random on the simulator, so no one else on the network can post fake payments to the webhook either.
    // Polling has no webhook, so no route for one.
    const webhookSecret = config.polling
      ? undefined
      : (config.webhookSecret ?? randomBytes(24).toString('base64url'))
    const botToken = sim?.botToken ?? config.botToken!
    const logger = serveLogger(config, [botToken, webhookSecret])
    const metrics = config.metrics ? await loadMetrics() : undefined
    const apiRoot = sim ? simUrl : config.apiRoot
    const { server: pay, useAppBot } = buildPayServer({
      botToken,
      logger,
      ...(metrics ? { metrics } : {}),
      ...(webhookSecret ? { webhookSecret } : {}),
      ...(config.preCheckoutCall ? { preCheckoutWebhookReply: false } : {}),
      ...(config.forward
        ? { forwardUpdates: { url: config.forward.url, secretToken: config.forward.secret } }
        : {}),
      products: config.products,
      store,
      basePath: config.basePath,
      ...(apiRoot ? { apiRoot } : {}),
      ...(sim ? { botInfo: sim.botInfo } : {}),
      ...(notifier ? { onPaid: notifier.onPaid, onRefunded: notifier.onRefunded } : {}),
      // The simulator takes any token of BotFather's form, so products in USD & co. sell there too.
      ...(config.providerToken || sim
        ? { providerToken: config.providerToken ?? SIMULATOR_PROVIDER_TOKEN }
        : {}),
      reconcile: config.reconcileIntervalMs === 0 ? false : { intervalMs: config.reconcileIntervalMs },
      ...(config.adminKey ? { adminKey: config.adminKey } : {}),
      ...(config.corsOrigins.length > 0 ? { cors: { origin: config.corsOrigins } } : {}),
    })
    // From here pay.close() closes the store, after its background work has stopped.
    ownsStore = false
    cleanups.push(() => pay.close())
    // The app's own bot takes every update, on the webhook route or by polling, in place of the built-in one.
    if (makeAppBot) useAppBot(await makeAppBot({ pay, botToken, apiRoot, botInfo: sim?.botInfo }))

    const server = await listen(pay, config)
    cleanups.push(() => closeServer(server))
    const origin = localOrigin(config.host, (server.address() as AddressInfo).port)
    const apiUrl = `${origin}${config.basePath}`

    const webhookOrigin = config.polling ? undefined : (config.publicUrl ?? (sim ? origin : undefined))
    const webhookUrl = webhookOrigin && `${webhookOrigin}${config.basePath}${webhookPath}`
    const allowed_updates = config.allowedUpdates
    if (webhookUrl && webhookSecret)
      await telegramCall(`setWebhook(${redactUrl(webhookUrl)})`, botToken, () =>
        pay.telegram.setWebhook(webhookUrl, { secret_token: webhookSecret, allowed_updates }),
      )
    let polling: Polling | undefined
    if (config.polling) {
      polling = await telegramCall('Starting long polling (deleteWebhook, getUpdates)', botToken, () =>
        pay.startPolling({ allowedUpdates: config.allowedUpdates }),
      )
      // pay.close() stops it; a failure after the start ends the process (see `failure`).
    }

    if (config.logFormat === 'json')
      logger.info('tma-pay listening', {
        apiUrl,
        store: config.store.label,
        products: config.products.length,
        ...(webhookUrl ? { webhookUrl: redactUrl(webhookUrl) } : {}),
        ...(polling ? { polling: true } : {}),
        ...(metrics ? { metricsUrl: `${apiUrl}/admin/metrics` } : {}),
        ...(config.botModule ? { botModule: config.botModule.name } : {}),
        ...(simUrl ? { simUrl } : {}),
      })
    else
      out(
        banner({
          apiUrl,
          host: config.host,
          store: config.store.label,
          products: config.products,
          ...(webhookUrl ? { webhookUrl } : {}),
          ...(polling ? { polling: { removedWebhook: polling.removedWebhook } } : {}),
          ...(config.forward ? { forwardUrl: config.forward.url } : {}),
          ...(config.botModule ? { botModule: config.botModule.name } : {}),
          allowedUpdates: config.allowedUpdates,
          ...(config.notify ? { notifyUrl: config.notify.url } : {}),
          ...(!sim && config.apiRoot ? { botApiRoot: config.apiRoot } : {}),
          corsOrigins: config.corsOrigins,
          ...(simUrl ? { simUrl } : {}),
          ...(metrics ? { metricsUrl: `${apiUrl}/admin/metrics` } : {}),
          self: selfCommand(),
        }),
      )
    const failure = new Promise<string>((resolve) => {
      polling?.done.catch((error: unknown) => resolve(pollingEnded(error, botToken)))
    })
    return {
      apiUrl,
      close,
      failure,
      ...(config.logFormat === 'json' ? { jsonLog: (level, message) => logger[level](message) } : {}),
    }
  } catch (error) {
    await close()
    throw error
  }
}

/** The format asked for, with no secret of the configuration in any line (the server masks its own too). */
function serveLogger(config: ServeConfig, secrets: (string | undefined)[]): Logger {
  return redactingLogger(config.logFormat === 'json' ? jsonLogger() : consoleLogger, [
    ...secrets,
    config.adminKey,
    config.providerToken,
    config.notify?.secret,
    config.forward?.secret,
    config.store.secret,
  ])
}

async function loadMetrics(): Promise<PrometheusMetrics> {
  try {
    return await prometheusMetrics({ defaultMetrics: true })
  } catch (error) {
    throw new CliError(`--metrics: ${(error as Error).message}`)
  }
}

async function migrate(store: PayStore, label: string) {
  try {
    await store.migrate()
  } catch (error) {
    throw new CliError(`Cannot open the store (${label}): ${(error as Error).message}`)
  }
}

function listen(pay: PayServer, config: ServeConfig): Promise<Server> {
  const server = createAdaptorServer({ fetch: pay.fetch }) as Server
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${config.host}:${config.port}`
      reject(
        new CliError(
          error.code === 'EADDRINUSE'
            ? `Port ${where} is in use; pick another with --port (0 = a free one).`
            : `Cannot listen on ${where}: ${error.message}`,
        ),
      )
    })
    server.listen(config.port, config.host, () => resolve(server))
  })
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    // Open order streams (SSE) and idle keep-alive sockets would hold close() up forever.
    server.closeAllConnections()
  })
}

/** Runs a Bot API call; its failure becomes a CliError that names `what` and never the token. */
async function telegramCall<T>(what: string, botToken: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw new CliError(`${what} failed: ${telegramErrorText(error, botToken)}`)
  }
}

/** What to say when Telegram ends long polling after it started. */
function pollingEnded(error: unknown, botToken: string): string {
  const code = (error as { error_code?: number }).error_code
  if (code === 409)
    return `Telegram ended long polling: another process takes this bot's updates (a second getUpdates consumer, or a webhook set meanwhile). Run one tma-pay serve --polling per bot, and no webhook beside it. (${telegramErrorText(error, botToken)})`
  if (code === 401)
    return `Telegram ended long polling: the bot token was refused (revoked in @BotFather?). (${telegramErrorText(error, botToken)})`
  return `Long polling ended: ${telegramErrorText(error, botToken)}`
}
