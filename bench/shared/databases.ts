// A fresh database per server run: a new PGlite directory, or a new database on a PostgreSQL server
// (the one in TMA_PAY_BENCH_DATABASE_URL, or a throwaway cluster from scripts/pg-cluster.sh).
import { execFile, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import type { StoreKind } from './flags'

export interface Database {
  /** What `--store` takes: pglite:DIR or postgres://... */
  spec: string
  drop(): Promise<void>
}

export interface DatabaseServer {
  kind: StoreKind
  /** For the report, e.g. "PostgreSQL 15.8 (throwaway cluster)". */
  label: string
  fresh(): Promise<Database>
  close(): Promise<void>
}

export function pgliteServer(root: string, repoRoot: string): DatabaseServer {
  const { version } = JSON.parse(
    readFileSync(join(repoRoot, 'node_modules/@electric-sql/pglite/package.json'), 'utf8'),
  ) as { version: string }
  return {
    kind: 'pglite',
    label: `PGlite ${version} (a fresh directory in ${root})`,
    async fresh() {
      const dir = mkdtempSync(join(root, 'pglite-'))
      return {
        spec: `pglite:${dir}`,
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      }
    },
    async close() {},
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(command, args, { cwd, env, timeout: 120_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${args.join(' ')} failed: ${error.message}\n${stderr}`)) : resolve(stdout),
    ),
  )
}

/** Stops the cluster this bench started, synchronously: for exit paths that cannot wait. */
let stopClusterNow: (() => void) | undefined
export const stopClusterOnExit = () => stopClusterNow?.()

/**
 * PostgreSQL: TMA_PAY_BENCH_DATABASE_URL's server, else a throwaway cluster recorded in a state file of our own
 * (so it never touches the one `npm test` may have running).
 */
export async function postgresServer(root: string, repoRoot: string): Promise<DatabaseServer> {
  let adminUrl = process.env.TMA_PAY_BENCH_DATABASE_URL
  let stopCluster: (() => Promise<void>) | undefined
  if (!adminUrl) {
    const env = { ...process.env, TMA_PAY_PG_STATE: join(root, 'pg-cluster.state') }
    const script = join(repoRoot, 'scripts/pg-cluster.sh')
    const stdout = await run('bash', [script, 'start'], env, repoRoot)
    adminUrl = stdout.trim().split('\n').pop()!
    stopClusterNow = () => {
      stopClusterNow = undefined
      try {
        execFileSync('bash', [script, 'stop'], { cwd: repoRoot, env, stdio: 'ignore', timeout: 60_000 })
      } catch {
        // Best effort on the way out; the cluster's temp dir is left for the OS to clean.
      }
    }
    stopCluster = async () => {
      stopClusterNow = undefined
      await run('bash', [script, 'stop'], env, repoRoot)
    }
  }
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  const [row] = await admin<{ server_version: string }[]>`show server_version`
  const where = stopCluster ? 'throwaway cluster' : 'TMA_PAY_BENCH_DATABASE_URL'
  return {
    kind: 'postgres',
    label: `PostgreSQL ${row?.server_version ?? '?'} (${where}; a fresh database per server)`,
    async fresh() {
      const name = `tma_pay_bench_${randomBytes(6).toString('hex')}`
      await admin.unsafe(`create database ${name}`)
      const url = new URL(adminUrl)
      url.pathname = `/${name}`
      return {
        spec: url.toString(),
        async drop() {
          await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name}`
          await admin.unsafe(`drop database if exists ${name}`)
        },
      }
    },
    async close() {
      await admin.end({ timeout: 5 })
      await stopCluster?.()
    },
  }
}
