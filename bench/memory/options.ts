import { databaseUrlPrefix, parseStores, positiveInt, readFlags, type StoreKind } from '../shared/flags'

export interface MemoryOptions {
  /** Order streams held open, each by a user of its own, while the payments run. */
  streams: number
  payments: number
  /** Payment counts after which the server's RSS is read. */
  at: number[]
  concurrency: number
  /** Uncounted payments before anything is measured (JIT, the pool, the fresh database's first pages). */
  warmup: number
  stores: StoreKind[]
  timeoutSeconds: number
  json?: string
}

export const usage = `Usage: npx tsx bench/memory/run.ts [flags]

The memory of \`tma-pay serve\` holding open order streams while payments run: RSS before and after
the streams open (the memory per stream), then after every --at payments; it must not keep growing.

  --streams N        order streams held open, one user each (default 1000)
  --payments N       payments made while they are open (default 10000)
  --at LIST          payment counts after which RSS is read (default 1000,5000,10000)
  --concurrency N    payments in flight at once (default 8)
  --warmup N         uncounted payments first (default 300)
  --stores LIST      pglite,postgres (default both)
  --timeout S        stop everything and exit 1 after S seconds (default 1200)
  --json FILE        also write the results as JSON to FILE

PostgreSQL: TMA_PAY_BENCH_DATABASE_URL, else a throwaway cluster from scripts/pg-cluster.sh.`

export function parseOptions(argv: string[]): MemoryOptions | undefined {
  const values = readFlags(argv, {
    streams: { type: 'string' },
    payments: { type: 'string' },
    at: { type: 'string' },
    concurrency: { type: 'string' },
    warmup: { type: 'string' },
    stores: { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'string' },
  })
  if (!values) return undefined
  const payments = positiveInt('payments', values.payments, 10_000)
  const at = (values.at ?? '1000,5000,10000').split(',').map((text) => positiveInt('at', text.trim(), 1))
  if (at.some((count, i) => count > payments || (i > 0 && count <= at[i - 1]!)))
    throw new Error(`--at takes rising payment counts up to --payments (${payments}), not ${values.at}`)
  return {
    streams: positiveInt('streams', values.streams, 1000),
    payments,
    at,
    concurrency: positiveInt('concurrency', values.concurrency, 8),
    warmup: positiveInt('warmup', values.warmup, 300, 0),
    stores: parseStores(values.stores ?? 'pglite,postgres'),
    timeoutSeconds: positiveInt('timeout', values.timeout, 1200),
    ...(values.json ? { json: values.json } : {}),
  }
}

export function reproduceCommand(options: MemoryOptions, databaseUrl: string | undefined): string {
  const flags = [
    `--streams ${options.streams}`,
    `--payments ${options.payments}`,
    `--at ${options.at.join(',')}`,
    `--concurrency ${options.concurrency}`,
    `--warmup ${options.warmup}`,
    `--stores ${options.stores.join(',')}`,
    `--timeout ${options.timeoutSeconds}`,
  ]
  return `${databaseUrlPrefix(databaseUrl)}npx tsx bench/memory/run.ts ${flags.join(' ')}`
}
