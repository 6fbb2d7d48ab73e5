// tma-pay as deployed: `tma-pay serve` in a child process, on the Telegram simulator running in this one.
import type { Database } from '../shared/databases'
import { startServeOnSimulator } from '../shared/serve'
import type { Target } from './load'
import { simulatorTarget } from './sim-target'

export async function startTmaPayTarget(
  repoRoot: string,
  productsFile: string,
  store: Database,
  node: string[] = [process.execPath],
  serveArgs: string[] = [],
): Promise<Target> {
  const served = await startServeOnSimulator(repoRoot, productsFile, store, node, serveArgs)
  const { sim, server, apiUrl, tap, stop } = served
  return simulatorTarget('tma-pay', {
    sim,
    apiUrl,
    tap,
    pid: server.pid,
    serverErrors: () => server.counts().logged ?? 0,
    stop,
  })
}
