// `tma-pay serve` from this checkout's source in a child process, and the usual setup around it: on the
// Telegram simulator in the bench process, with its webhook deliveries timed.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { createTelegramSimulator, type TelegramSimulator } from '../../src/testing/index'
import type { Database } from './databases'
import { type FetchTap, tapWebhookDeliveries } from './fetch-tap'
import { type Child, childEnv, freePort, startChild } from './processes'

export interface ServeConfig {
  repoRoot: string
  productsFile: string
  /** What `--store` takes: pglite:DIR or postgres://... */
  store: string
  botToken: string
  apiRoot: string
  webhookSecret: string
  port: number
  /** Where Telegram and the Mini App reach it; it sets its webhook there at start. */
  publicUrl: string
  notify?: { url: string; secret: string }
  /** Log lines to count by name; by default its warning and error lines. */
  count?: Record<string, RegExp>
  /** The command line that runs node, before the script: `[process.execPath]` by default; with flags of its own
   * (--cpu-prof), or under a tool (valgrind). */
  node?: string[]
  /** More `tma-pay serve` flags. */
  extraArgs?: string[]
}

export function startServe(config: ServeConfig): Promise<Child> {
  const [command, ...nodeArgs] = config.node ?? [process.execPath]
  const args = [
    nodeArgs,
    join(config.repoRoot, 'bin/tma-pay.mjs'),
    'serve',
    ['--port', String(config.port)],
    ['--host', '127.0.0.1'],
    ['--products', config.productsFile],
    ['--store', config.store],
    ['--bot-token', config.botToken],
    ['--api-root', config.apiRoot],
    ['--webhook-secret', config.webhookSecret],
    ['--public-url', config.publicUrl],
    config.notify ? ['--notify-url', config.notify.url, '--notify-secret', config.notify.secret] : [],
    config.extraArgs ?? [],
  ].flat()
  return startChild(command!, args, {
    cwd: config.repoRoot,
    // The source, not a dist/ build that may be older than the checkout being measured.
    env: childEnv({ TMA_PAY_CLI_FROM_SOURCE: '1' }),
    ready: /^tma-pay listening on (http:\/\/\S+)$/m,
    // Under valgrind the start takes minutes.
    timeoutMs: command === process.execPath ? 60_000 : 600_000,
    count: config.count ?? { logged: /\[tma-pay\]/ },
  })
}

export interface ServedSimulator {
  sim: TelegramSimulator
  server: Child
  /** The server's own URL, e.g. http://127.0.0.1:PORT/api/pay (what `tma-pay listening on` said). */
  apiUrl: string
  tap: FetchTap
  /** Stops the tap, the server and the simulator, in that order. */
  stop(): Promise<void>
}

/** A simulator without redeliveries, `tma-pay serve` on it (webhook set on a port of its own), the tap. */
export async function startServeOnSimulator(
  repoRoot: string,
  productsFile: string,
  store: Database,
  node: string[] = [process.execPath],
  extraArgs: string[] = [],
): Promise<ServedSimulator> {
  // No redeliveries: a failed webhook is an error of this run, not something to paper over 200 ms later.
  const sim = await createTelegramSimulator({ recordDir: false, retryDelaysMs: [] })
  let server: Child | undefined
  try {
    const webhookSecret = randomBytes(24).toString('base64url')
    // --public-url needs the port before the server binds it; another process may grab it meanwhile, so retry.
    for (let attempt = 1; !server; attempt++) {
      const port = await freePort()
      const publicUrl = `http://127.0.0.1:${port}`
      const config = {
        repoRoot,
        productsFile,
        store: store.spec,
        port,
        publicUrl,
        webhookSecret,
        node,
        extraArgs,
      }
      server = await startServe({ ...config, botToken: sim.botToken, apiRoot: sim.url }).catch((error) => {
        if (attempt >= 3 || !/is in use/.test(String(error))) throw error
        return undefined
      })
    }
    const apiUrl = server.ready[1]!
    if (sim.webhook?.url !== `${apiUrl}/telegram/webhook`)
      throw new Error(`tma-pay serve set the webhook to ${sim.webhook?.url}, not ${apiUrl}/telegram/webhook`)
    const tap = tapWebhookDeliveries(sim.webhook.url)
    const running = server
    return {
      sim,
      server,
      apiUrl,
      tap,
      async stop() {
        tap.restore()
        await running.stop()
        await sim.close()
      },
    }
  } catch (error) {
    await server?.stop()
    await sim.close()
    throw error
  }
}
