import { databaseUrlPrefix, boundedNumber as number, readFlags } from '../shared/flags'

export interface FaultsOptions {
  /** Payments started per second, at a steady pace. */
  rate: number
  /** Seconds over which payments are started. */
  durationSeconds: number
  /** Seconds after the first payment at which an instance is SIGKILLed: instance 1, then 2, then 1... */
  killAtSeconds: number[]
  /** How long a killed instance stays down before it is started again (same port, same database). */
  downSeconds: number
  /** After the load: how long to wait for webhook retries and notifications to settle. Must exceed the
   * fulfilment outbox's 60-s lease, which a job claimed by the killed instance waits out. */
  drainTimeoutSeconds: number
  /** Whole-run limit: past it the bench stops its children and exits 1. */
  timeoutSeconds: number
  json?: string
}

export const usage = `Usage: npx tsx bench/faults/run.ts [flags]

Payments at a steady rate through two \`tma-pay serve\` instances on one PostgreSQL database,
behind a round-robin proxy that both the Mini App traffic and the simulated Telegram's webhook
go through; one instance is SIGKILLed mid-run and started again. At the end, every payment
Telegram (the simulator) took is checked against the database and the notifications received:
paid exactly once, notified exactly once. Loopback only; bounded in payments and in time.

  --rate N            payments started per second (default 20)
  --duration S        seconds over which payments start (default 20)
  --kill-at LIST      seconds after the first payment at which to SIGKILL an instance, comma-
                      separated; instance 1 first, then 2, 1... (default 40% of --duration)
  --down S            seconds a killed instance stays down before its restart (default 2)
  --drain-timeout S   after the load, the longest wait for webhook retries and notifications to
                      settle (default 90: a job the killed instance held waits out a 60-s lease)
  --timeout S         stop everything and exit 1 after S seconds (default 300)
  --json FILE         also write the counts as JSON to FILE

PostgreSQL: TMA_PAY_BENCH_DATABASE_URL (a server where the bench may create databases), else a
throwaway cluster from scripts/pg-cluster.sh (bash scripts/ci-deps.sh installs PostgreSQL).
Exit codes: 0 all payments accounted for; 1 a payment lost or doubled, a notification missing or
doubled, an update never delivered, or the --timeout hit; 2 bad flags.`

/** The flags, checked; `undefined` for --help. */
export function parseOptions(argv: string[]): FaultsOptions | undefined {
  const values = readFlags(argv, {
    rate: { type: 'string' },
    duration: { type: 'string' },
    'kill-at': { type: 'string' },
    down: { type: 'string' },
    'drain-timeout': { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'string' },
  })
  if (!values) return undefined
  const rate = number('rate', values.rate, 20, 0.1, 500)
  const durationSeconds = number('duration', values.duration, 20, 1, 600)
  if (rate * durationSeconds > 20_000)
    throw new Error(`--rate × --duration is ${rate * durationSeconds} payments; at most 20000`)
  const killAtSeconds = (values['kill-at'] ?? String(Math.round(durationSeconds * 0.4 * 10) / 10))
    .split(',')
    .map((text) => number('kill-at', text.trim(), 0, 0, durationSeconds))
    .sort((a, b) => a - b)
  const downSeconds = number('down', values.down, 2, 0, 120)
  const drainTimeoutSeconds = number('drain-timeout', values['drain-timeout'], 90, 1, 600)
  const timeoutSeconds = number('timeout', values.timeout, 300, 10, 3600)
  return {
    rate,
    durationSeconds,
    killAtSeconds,
    downSeconds,
    drainTimeoutSeconds,
    timeoutSeconds,
    ...(values.json ? { json: values.json } : {}),
  }
}

/** The command that runs this exact configuration again, every setting spelled out. */
export function reproduceCommand(options: FaultsOptions, databaseUrl: string | undefined): string {
  const flags = [
    `--rate ${options.rate}`,
    `--duration ${options.durationSeconds}`,
    `--kill-at ${options.killAtSeconds.join(',')}`,
    `--down ${options.downSeconds}`,
    `--drain-timeout ${options.drainTimeoutSeconds}`,
    `--timeout ${options.timeoutSeconds}`,
  ]
  return `${databaseUrlPrefix(databaseUrl)}npx tsx bench/faults/run.ts ${flags.join(' ')}`
}
