// The hand-written shop (shop-server.ts) as a load target: a child process on a Telegram simulator of its own in
// this process, paid for exactly as tma-pay is (sim-target.ts).
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { createTelegramSimulator } from '../../src/testing/index'
import type { Database } from '../shared/databases'
import { tapWebhookDeliveries } from '../shared/fetch-tap'
import { type Child, childEnv, startChild } from '../shared/processes'
import type { Target } from './load'
import { simulatorTarget } from './sim-target'

export async function startShopTarget(
  repoRoot: string,
  store: Database,
  node: string[] = [process.execPath],
): Promise<Target> {
  // No redeliveries, as for tma-pay: a failed webhook is an error of the run.
  const sim = await createTelegramSimulator({ recordDir: false, retryDelaysMs: [] })
  let server: Child | undefined
  try {
    const secret = randomBytes(24).toString('base64url')
    server = await startChild(
      node[0]!,
      [
        ...node.slice(1),
        '--import',
        'tsx',
        join(repoRoot, 'bench/server/shop-server.ts'),
        ...[
          '--store',
          store.spec,
          '--bot-token',
          sim.botToken,
          '--api-root',
          sim.url,
          '--webhook-secret',
          secret,
        ],
      ],
      {
        cwd: repoRoot,
        env: childEnv(),
        ready: /^shop listening on (http:\/\/\S+)$/m,
        timeoutMs: node[0] === process.execPath ? 60_000 : 600_000,
        count: { logged: /error|Error/ },
      },
    )
    const apiUrl = server.ready[1]!
    if (sim.webhook?.url !== `${apiUrl}/telegram/webhook`)
      throw new Error(`the shop set the webhook to ${sim.webhook?.url}, not ${apiUrl}/telegram/webhook`)
    const tap = tapWebhookDeliveries(sim.webhook.url)
    const running = server
    return simulatorTarget('hand-written', {
      sim,
      apiUrl,
      tap,
      pid: server.pid,
      serverErrors: () => running.counts().logged ?? 0,
      async stop() {
        tap.restore()
        await running.stop()
        await sim.close()
      },
    })
  } catch (error) {
    await server?.stop()
    await sim.close()
    throw error
  }
}
