import { databaseUrlPrefix, parseStores, positiveInt, readFlags, type StoreKind } from '../shared/flags'
import { type TargetName, targetNames } from './load'

export interface BenchOptions {
  /** Payments in one measured round, per target and store. */
  payments: number
  concurrency: number
  /** Measured rounds per target, the targets taking turns; every figure is the median over them. */
  rounds: number
  /** Payments per target before the measured rounds, not counted. */
  warmup: number
  stores: StoreKind[]
  /** Which servers: tma-pay, the hand-written shop (PostgreSQL only), the bare SQL baseline. */
  targets: TargetName[]
  /** Profile each server with `node --cpu-prof`, writing the profiles into this directory, and print their top functions. */
  cpuProf?: string
  /** Run each server under callgrind (dumps into this directory) and count its instructions per payment. */
  instructions?: string
  /** After the measured rounds, one more round per server under `strace -c`: system calls per payment. */
  syscalls: boolean
  /** tma-pay answers pre-checkouts by an answerPreCheckoutQuery call of its own (`serve --pre-checkout-call`), as
   * the hand-written shop does, instead of in the webhook's response. */
  preCheckoutCall: boolean
  /** Whole-run limit: past it the bench stops its children and exits 1. */
  timeoutSeconds: number
  json?: string
  quick: boolean
}

export const usage = `Usage: npx tsx bench/server/run.ts [flags]

Whole payments through \`tma-pay serve\` and a hand-written shop (Hono, grammY, postgres.js, init data,
the same Bot API calls; PostgreSQL only), both on the Telegram simulator, and through a bare node:http
baseline that runs tma-pay's SQL of a payment, on PGlite and on PostgreSQL, over 127.0.0.1.

  --payments N       payments per measured round, per target and store (default 300; --quick 40)
  --concurrency N    payments in flight at once (default 8)
  --rounds N         measured rounds per target, the targets taking turns (ABC CBA ...); figures
                     are medians over the rounds (default 5; --quick 1)
  --warmup N         uncounted payments per target before the rounds (default 100; --quick 8)
  --stores LIST      pglite,postgres (default both)
  --targets LIST     tma-pay,hand-written,bare-sql (default all three)
  --cpu-prof DIR     run each server under node --cpu-prof, profiles into DIR, and print where
                     each spent its CPU during the measured rounds (the figures are then not
                     comparable with an unprofiled run)
  --instructions DIR run each server under valgrind's callgrind (dumps into DIR) and count the
                     instructions it executes per payment in the measured rounds, a figure the
                     machine's noise does not move; 10-50x slower, so use few payments and rounds
                     (its times and CPU figures then mean nothing)
  --syscalls         after the measured rounds, one more round per server under strace -c:
                     its system calls per payment (writes, reads, waits), which noise does not move
  --pre-checkout-call  tma-pay answers pre-checkouts by an answerPreCheckoutQuery call, as the
                     hand-written shop does, not in the webhook's response (its default)
  --timeout S        stop everything and exit 1 after S seconds (default 600)
  --json FILE        also write the results as JSON to FILE
  --quick            smoke test: fewer payments, one round

PostgreSQL: TMA_PAY_BENCH_DATABASE_URL (a server where the bench may create databases), else a
throwaway cluster from scripts/pg-cluster.sh; without PostgreSQL installed that store is skipped.`

/** The flags, checked; `undefined` for --help. */
export function parseOptions(argv: string[]): BenchOptions | undefined {
  const values = readFlags(argv, {
    payments: { type: 'string' },
    concurrency: { type: 'string' },
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    stores: { type: 'string' },
    targets: { type: 'string' },
    'cpu-prof': { type: 'string' },
    syscalls: { type: 'boolean', default: false },
    'pre-checkout-call': { type: 'boolean', default: false },
    instructions: { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'string' },
    quick: { type: 'boolean', default: false },
  })
  if (!values) return undefined
  if (values.instructions && values['cpu-prof'])
    throw new Error('--instructions and --cpu-prof do not go together')
  const quick = values.quick === true
  const stores = parseStores(values.stores ?? 'pglite,postgres')
  const targets = (values.targets ?? targetNames.join(',')).split(',').map((t) => t.trim())
  for (const target of targets)
    if (!(targetNames as readonly string[]).includes(target))
      throw new Error(`--targets takes ${targetNames.join(', ')}, not ${JSON.stringify(target)}`)
  const options: BenchOptions = {
    payments: positiveInt('payments', values.payments, quick ? 40 : 300),
    concurrency: positiveInt('concurrency', values.concurrency, 8),
    rounds: positiveInt('rounds', values.rounds, quick ? 1 : 5),
    warmup: positiveInt('warmup', values.warmup, quick ? 8 : 100, 0),
    stores,
    targets: [...new Set(targets)] as TargetName[],
    ...(values['cpu-prof'] ? { cpuProf: values['cpu-prof'] } : {}),
    syscalls: values.syscalls === true,
    preCheckoutCall: values['pre-checkout-call'] === true,
    ...(values.instructions ? { instructions: values.instructions } : {}),
    timeoutSeconds: positiveInt('timeout', values.timeout, 600),
    quick,
    ...(values.json ? { json: values.json } : {}),
  }
  return options
}

/** The command that runs this exact configuration again: every setting spelled out, --quick expanded. */
export function reproduceCommand(options: BenchOptions, databaseUrl: string | undefined): string {
  const flags = [
    `--payments ${options.payments}`,
    `--concurrency ${options.concurrency}`,
    `--rounds ${options.rounds}`,
    `--warmup ${options.warmup}`,
    `--stores ${options.stores.join(',')}`,
    `--targets ${options.targets.join(',')}`,
    ...(options.cpuProf ? [`--cpu-prof ${options.cpuProf}`] : []),
    ...(options.syscalls ? ['--syscalls'] : []),
    ...(options.preCheckoutCall ? ['--pre-checkout-call'] : []),
    ...(options.instructions ? [`--instructions ${options.instructions}`] : []),
    `--timeout ${options.timeoutSeconds}`,
  ]
  return `${databaseUrlPrefix(databaseUrl)}npx tsx bench/server/run.ts ${flags.join(' ')}`
}
