import { databaseUrlPrefix, parseStores, positiveInt, readFlags, type StoreKind } from '../shared/flags'

export interface StoreKindLabel {
  store: StoreKind
  /** For the report, e.g. "PGlite 0.5.16 (...)". */
  label: string
}

export interface LiveOptions {
  /** Measured payments per mode and store (live and poll each get this many). */
  payments: number
  /** Payments in flight at once; each lane is a browser context of its own (one user's Mini App). */
  concurrency: number
  /** Uncounted payments per store first, half live, half poll: the first payments of each lane (JIT, the
   * server's and PGlite's first queries, a context's first stream) run several times slower. */
  warmup: number
  stores: StoreKind[]
  /** The user's random pause between the browser starting to watch and paying, in ms. */
  minWaitMs: number
  maxWaitMs: number
  /** A payment the browser has not seen paid this long after it was paid is a failure (exit 1). */
  boundSeconds: number
  /** Whole-run limit: past it the bench stops everything and exits 1. */
  timeoutSeconds: number
  /** Seed of the random pauses, so a run can be repeated exactly. */
  seed: number
  /** How the page reaches the pay API: `direct` (cross-origin, `tma-pay serve --cors-origin`: the stream from the
   * server to the browser with nothing between) or `proxy` (through the page's origin, which notes when the paid
   * event passed it: the split between the server's part and the browser's). */
  api: 'direct' | 'proxy'
  /** Run the server under `node --cpu-prof` (profiles into this directory) and print where its CPU went while the
   * live payments were on their way (successful_payment sent -> the paid event passed the proxy). */
  cpuProf?: string
  json?: string
}

export const usage = `Usage: npx tsx bench/live/run.ts [flags]

The time from the Telegram simulator sending successful_payment to a real browser (headless Chromium)
seeing the order paid: over the order's live stream (client.watchOrder) against polling
(client.getOrder, 1 s growing x1.5 to 5 s, as useOrder does), interleaved, over 127.0.0.1.

  --payments N       measured payments per mode and store (default 40)
  --concurrency N    payments in flight at once, each in its own browser context (default 4)
  --warmup N         uncounted payments per store first, half of each mode (default 12)
  --stores LIST      pglite and/or postgres (default pglite)
  --wait MIN-MAX     the user's random pause between watching and paying, in ms (default 200-3000)
  --bound S          a payment not seen paid within S seconds fails the run (default 20)
  --timeout S        stop everything and exit 1 after S seconds (default 600)
  --seed N           seed of the random pauses (default 1)
  --api MODE         direct: the page calls tma-pay serve cross-origin (--cors-origin), nothing between;
                     proxy: through the page's own origin, which notes when the paid event passed it (default direct)
  --cpu-prof DIR     run tma-pay serve under node --cpu-prof (profiles into DIR) and print where its CPU
                     went while the live payments were on their way, and how busy it was meanwhile
  --json FILE        also write every sample, the options and the machine as JSON

Chromium: TMA_PAY_CHROMIUM, else /usr/bin/chromium. PostgreSQL: TMA_PAY_BENCH_DATABASE_URL, else a
throwaway cluster from scripts/pg-cluster.sh (skipped when PostgreSQL is not installed).`

/** The flags, checked; `undefined` for --help. */
export function parseOptions(argv: string[]): LiveOptions | undefined {
  const values = readFlags(argv, {
    payments: { type: 'string' },
    concurrency: { type: 'string' },
    warmup: { type: 'string' },
    stores: { type: 'string' },
    wait: { type: 'string' },
    bound: { type: 'string' },
    timeout: { type: 'string' },
    seed: { type: 'string' },
    api: { type: 'string' },
    'cpu-prof': { type: 'string' },
    json: { type: 'string' },
  })
  if (!values) return undefined
  const api = values.api ?? 'direct'
  if (api !== 'direct' && api !== 'proxy')
    throw new Error(`--api takes direct or proxy, not ${JSON.stringify(values.api)}`)
  const stores = parseStores(values.stores ?? 'pglite')
  const wait = /^(\d+)-(\d+)$/.exec(values.wait ?? '200-3000')
  if (!wait || Number(wait[1]) > Number(wait[2]))
    throw new Error(`--wait takes MIN-MAX in ms, e.g. 200-3000, not ${JSON.stringify(values.wait)}`)
  return {
    payments: positiveInt('payments', values.payments, 40),
    concurrency: positiveInt('concurrency', values.concurrency, 4),
    warmup: positiveInt('warmup', values.warmup, 12, 0),
    stores,
    minWaitMs: Number(wait[1]),
    maxWaitMs: Number(wait[2]),
    boundSeconds: positiveInt('bound', values.bound, 20),
    timeoutSeconds: positiveInt('timeout', values.timeout, 600),
    seed: positiveInt('seed', values.seed, 1, 0),
    api,
    ...(values['cpu-prof'] ? { cpuProf: values['cpu-prof'] } : {}),
    ...(values.json ? { json: values.json } : {}),
  }
}

/** The command that runs this exact configuration again, every setting spelled out. */
export function reproduceCommand(options: LiveOptions, databaseUrl: string | undefined): string {
  const flags = [
    `--payments ${options.payments}`,
    `--concurrency ${options.concurrency}`,
    `--warmup ${options.warmup}`,
    `--stores ${options.stores.join(',')}`,
    `--wait ${options.minWaitMs}-${options.maxWaitMs}`,
    `--bound ${options.boundSeconds}`,
    `--timeout ${options.timeoutSeconds}`,
    `--seed ${options.seed}`,
    `--api ${options.api}`,
    ...(options.cpuProf ? [`--cpu-prof ${options.cpuProf}`] : []),
  ]
  const chromium = process.env.TMA_PAY_CHROMIUM ? `TMA_PAY_CHROMIUM=${process.env.TMA_PAY_CHROMIUM} ` : ''
  return `${chromium}${databaseUrlPrefix(databaseUrl)}npx tsx bench/live/run.ts ${flags.join(' ')}`
}
