// The two `tma-pay serve` instances: child processes from this checkout's source, each on its own fixed port
// (so a restarted one is back behind the proxy), on one PostgreSQL database, on the simulator's Bot API,
// with the proxy as their public URL (each sets the webhook to it at start) and the notify receiver.
import type { Child } from '../shared/processes'
import { type ServeConfig, startServe } from '../shared/serve'

/** Everything but the port: the proxy's origin as the public URL, the receiver as the notify URL. */
export type InstanceConfig = Omit<ServeConfig, 'port' | 'count'>

export interface Kill {
  instance: number
  pid: number
  /** Seconds after the first payment. */
  killedAt: number
  /** When the restarted instance said it was listening again. */
  backAt?: number
  restartError?: string
}

/** Log lines counted per instance, over all its lives. */
export const countedLines = {
  logged: /\[tma-pay\]/,
  unhandled: /unhandled error/,
  notifyRetry: /handler failed; retrying/,
  unknownOrder: /for no known order/,
  queryTooOld: /query is too old/,
}

export class Instance {
  private child: Child | undefined
  private readonly pastCounts: Array<Record<string, number>> = []
  private readonly pastTails: string[] = []

  constructor(
    readonly number: number,
    readonly port: number,
    private readonly config: InstanceConfig,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid
  }

  async start(): Promise<void> {
    this.child = await startServe({ ...this.config, port: this.port, count: countedLines })
  }

  /** SIGKILL: no shutdown, no goodbye; in-flight requests and transactions are cut where they are. */
  async kill(): Promise<void> {
    const child = this.child
    if (!child || child.exited) return
    process.kill(child.pid, 'SIGKILL')
    for (let waited = 0; !child.exited && waited < 10_000; waited += 10)
      await new Promise((resolve) => setTimeout(resolve, 10))
    this.retire(child)
  }

  async stop(): Promise<void> {
    const child = this.child
    if (!child) return
    await child.stop(10_000)
    this.retire(child)
  }

  private retire(child: Child) {
    if (this.child !== child) return
    this.pastCounts.push(child.counts())
    this.pastTails.push(child.tail())
    this.child = undefined
  }

  /** Counted log lines over every life of this instance. */
  counts(): Record<string, number> {
    const all = [...this.pastCounts, ...(this.child ? [this.child.counts()] : [])]
    const total: Record<string, number> = {}
    for (const counts of all)
      for (const [name, value] of Object.entries(counts)) total[name] = (total[name] ?? 0) + value
    return total
  }

  /** The last lines of each life, for a failure's report. */
  tails(): string[] {
    return [...this.pastTails, ...(this.child ? [this.child.tail()] : [])]
  }
}
