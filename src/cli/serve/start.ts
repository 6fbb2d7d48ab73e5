import { randomBytes } from 'node:crypto'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { createPayServer } from '../../server/app'
import { createNotifier } from '../../server/notify'
import type { PayServer } from '../../server/pay-server'
import { redactUrl } from '../../server/redact'
import type { PayStore } from '../../server/store/types'
import type { TelegramSimulator } from '../../testing/simulator/index'
import { CliError } from '../errors'
import { selfCommand } from '../self'
import { banner } from './banner'
import type { ServeConfig } from './config'
import { localOrigin, webhookPath } from './urls'

/** What the server sends as provider token on the simulator when none is given. */
const SIMULATOR_PROVIDER_TOKEN = '1:TEST:tma-pay-simulator'

/** A running `tma-pay serve`: the HTTP server, the pay server and its store, and the simulator if it runs. */
export interface RunningServe {
  apiUrl: string
  close(): Promise<void>
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
      sim = await createTelegramSimulator({ port: config.simPort, host: config.host })
      cleanups.push(() => sim!.close())
    }
    const simUrl = sim && localOrigin(config.host, Number(new URL(sim.url).port))
    const notifier = config.notify && createNotifier(config.notify)
    // Random on the simulator, so no one else on the network can post fake payments to the webhook either.
    const webhookSecret = config.webhookSecret ?? randomBytes(24).toString('base64url')
    const pay = createPayServer({
      botToken: sim?.botToken ?? config.botToken!,
      webhookSecret,
      products: config.products,
      store,
      basePath: config.basePath,
      ...(sim
        ? { apiRoot: simUrl, botInfo: sim.botInfo }
        : config.apiRoot
          ? { apiRoot: config.apiRoot }
          : {}),
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

    const server = await listen(pay, config)
    cleanups.push(() => closeServer(server))
    const origin = localOrigin(config.host, (server.address() as AddressInfo).port)
    const apiUrl = `${origin}${config.basePath}`

    const webhookOrigin = config.publicUrl ?? (sim ? origin : undefined)
    const webhookUrl = webhookOrigin && `${webhookOrigin}${config.basePath}${webhookPath}`
    if (webhookUrl) await setWebhook(pay, webhookUrl, webhookSecret, sim?.botToken ?? config.botToken!)

    out(
      banner({
        apiUrl,
        host: config.host,
        store: config.store.label,
        products: config.products,
        ...(webhookUrl ? { webhookUrl } : {}),
        ...(config.notify ? { notifyUrl: config.notify.url } : {}),
        ...(!sim && config.apiRoot ? { botApiRoot: config.apiRoot } : {}),
        corsOrigins: config.corsOrigins,
        ...(simUrl ? { simUrl } : {}),
        self: selfCommand(),
      }),
    )
    return { apiUrl, close }
  } catch (error) {
    await close()
    throw error
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

async function setWebhook(pay: PayServer, url: string, secret: string, botToken: string) {
  try {
    await pay.telegram.setWebhook(url, { secret_token: secret })
  } catch (error) {
    // grammY's HttpError keeps the network failure itself in `error`; its URL holds the token, which stays out of logs.
    const cause = (error as { error?: unknown }).error
    const message = `${(error as Error).message}${cause ? ` (${String(cause)})` : ''}`.replaceAll(
      botToken,
      '<bot token>',
    )
    throw new CliError(`setWebhook(${redactUrl(url)}) failed: ${message}`)
  }
}
