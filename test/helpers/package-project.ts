// The package as npm publishes it, and a user's project that installs it: for the acceptance tests that run
// tma-pay from its tarball, outside this repo (so nothing resolves to this repo's node_modules).
import { type SpawnSyncOptions, spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = fileURLToPath(new URL('../..', import.meta.url))

export interface RunResult {
  status: number | null
  stdout: string
  stderr: string
  /** stdout and stderr, for an assertion's message. */
  output: string
}

/**
 * Runs a command with a bound on its time (each step of these tests has one, so a hung install or server fails
 * the step instead of the whole run). Never throws: the caller asserts on the status.
 */
export function run(
  command: string,
  args: string[],
  options: SpawnSyncOptions & { timeoutMs: number },
): RunResult {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    // CI: no prompts, no progress bars, no update checks.
    env: { ...process.env, CI: 'true', npm_config_update_notifier: 'false', ...options.env },
    ...options,
    timeout: options.timeoutMs,
    killSignal: 'SIGKILL',
  })
  const stdout = String(result.stdout ?? '')
  let stderr = String(result.stderr ?? '')
  if (result.error) stderr += `\n${command} ${args.join(' ')}: ${result.error.message}`
  if (result.signal)
    stderr += `\n${command} ${args.join(' ')}: killed (${result.signal}) after ${options.timeoutMs} ms`
  return { status: result.status, stdout, stderr, output: `${stdout}\n${stderr}` }
}

/** Runs a step that must succeed; throws with its output otherwise. */
export function runStep(command: string, args: string[], options: SpawnSyncOptions & { timeoutMs: number }) {
  const result = run(command, args, options)
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.output}`)
  return result
}

/**
 * Builds this checkout as `npm run build` does, into a staging copy of the package (not dist/, which other test
 * files rewrite while they run), and packs it with `npm pack`. Returns the tarball's path.
 */
export function packTarball(into: string): string {
  const stage = join(into, 'package')
  mkdirSync(stage, { recursive: true })
  for (const entry of ['package.json', 'README.md', 'bin', 'src']) {
    cpSync(join(root, entry), join(stage, entry), { recursive: true })
  }
  const dist = join(stage, 'dist')
  runStep(
    process.execPath,
    [
      join(root, 'node_modules/vite/bin/vite.js'),
      'build',
      '--outDir',
      dist,
      '--emptyOutDir',
      '--logLevel',
      'warn',
    ],
    { cwd: root, timeoutMs: 120_000 },
  )
  runStep(process.execPath, [join(root, 'scripts/build-types.mjs'), dist], { cwd: root, timeoutMs: 120_000 })
  const packed = runStep('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', into], {
    cwd: stage,
    timeoutMs: 60_000,
  })
  const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }]
  return join(into, filename)
}

/** A user's empty project in the system's temp dir, far from this repo's node_modules. */
export function emptyProject(name: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `tma-pay-${name}-`))
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name, version: '1.0.0', private: true }, null, 2)}\n`,
  )
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** `npm install` in a project, with npm's defaults (optional peers are not installed). */
export function npmInstall(dir: string, packages: string[], timeoutMs = 240_000): RunResult {
  return runStep('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...packages], {
    cwd: dir,
    timeoutMs,
  })
}

/** A devDependency's exact version in this repo, so a project installs what the repo tests with. */
export function devVersion(name: string): string {
  const { devDependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>
  }
  const version = devDependencies[name]
  if (!version) throw new Error(`${name} is not a devDependency`)
  return `${name}@${version}`
}
