import { type ParseArgsConfig, parseArgs } from 'node:util'
import { redactUrl } from '../server/redact'
import { UsageError } from './errors'

/** One `--flag VALUE`, with the environment variable that may stand in for it. */
export interface FlagSpec {
  name: string
  value: string
  env?: string
  help: string
  /** Given more than once, each value counts (in `lists`, not `values`); see `flagListOrEnv`. */
  multiple?: boolean
  /** A switch without a value (`--polling`); see `switchOrEnv`. */
  boolean?: boolean
}

/**
 * Flags and positionals, with parseArgs' own errors turned into UsageErrors (exit 2). A flag with
 * `multiple` lands in `lists` (every value given), the others in `values` (the last one given).
 */
export function parseFlags(
  command: string,
  argv: string[],
  flags: readonly FlagSpec[],
  allowPositionals = false,
) {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } }
  for (const flag of flags)
    options[flag.name] = flag.boolean
      ? { type: 'boolean' }
      : { type: 'string', ...(flag.multiple ? { multiple: true } : {}) }
  try {
    const parsed = parseArgs({ args: argv, options, strict: true, allowPositionals })
    const values = { ...parsed.values } as Record<string, unknown>
    const lists: Record<string, string[]> = {}
    for (const flag of flags) {
      if (!flag.multiple) continue
      lists[flag.name] = (values[flag.name] as string[] | undefined) ?? []
      delete values[flag.name]
    }
    return {
      values: values as Record<string, string | undefined> & { help?: boolean },
      lists,
      positionals: parsed.positionals,
    }
  } catch (error) {
    throw new UsageError(
      `${command}: ${(error as Error).message.split('\n')[0]}\nRun \`tma-pay ${command} --help\` for the flags.`,
    )
  }
}

/** A flag's value, else its environment variable's (an empty variable counts as unset). */
export function flagOrEnv(
  values: Record<string, unknown>,
  flag: FlagSpec,
  env: NodeJS.ProcessEnv,
): string | undefined {
  const given = values[flag.name]
  if (typeof given === 'string') return given
  return (flag.env && env[flag.env]) || undefined
}

/** A switch given on the command line, else its environment variable: 1, true or yes (0, false, no or empty: off). */
export function switchOrEnv(
  values: Record<string, unknown>,
  flag: FlagSpec,
  env: NodeJS.ProcessEnv,
): boolean {
  if (values[flag.name] === true) return true
  const text = (flag.env && env[flag.env]?.trim().toLowerCase()) || ''
  if (['1', 'true', 'yes'].includes(text)) return true
  if (['', '0', 'false', 'no'].includes(text)) return false
  throw new UsageError(`${flag.env} must be 1 or 0 (true or false), not ${JSON.stringify(env[flag.env!])}.`)
}

/**
 * A repeatable flag's values, each split at commas (`--cors-origin A --cors-origin B,C`), else its
 * environment variable's, split alike; empty items dropped.
 */
export function flagListOrEnv(
  lists: Record<string, string[]>,
  flag: FlagSpec,
  env: NodeJS.ProcessEnv,
): string[] {
  const given = lists[flag.name] ?? []
  const raw = given.length > 0 ? given : flag.env && env[flag.env] ? [env[flag.env]!] : []
  return raw
    .flatMap((value) => value.split(','))
    .map((item) => item.trim())
    .filter(Boolean)
}

export function parsePort(name: string, text: string): number {
  const port = Number(text)
  if (!/^\d{1,5}$/.test(text) || port > 65_535)
    throw new UsageError(
      `--${name} must be a port number 0-65535 (0 picks a free one), not ${JSON.stringify(text)}.`,
    )
  return port
}

export function parseUserId(text: string | undefined): number {
  if (text === undefined)
    throw new UsageError('--user-id is required: the Telegram user id, e.g. --user-id 1001.')
  const id = Number(text)
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(id) || id < 1)
    throw new UsageError(`--user-id must be a positive integer, not ${JSON.stringify(text)}.`)
  return id
}

export function parseHttpUrl(name: string, text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    // Not echoed: a URL that does not parse may still carry a token.
    throw new UsageError(
      `--${name} must be an http(s) URL such as https://example.com/path; this one does not parse.`,
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--${name} must be an http(s) URL, not ${JSON.stringify(redactUrl(url))}.`)
  return text
}

/** Help lines for flags: the flag, its environment variable, and what it does. */
export function flagHelp(flags: readonly FlagSpec[]): string {
  const left = flags.map((flag) => `  --${flag.name} ${flag.value}`.trimEnd())
  const envs = flags.map((flag) => flag.env ?? '')
  const leftWidth = Math.max(...left.map((text) => text.length)) + 2
  const envWidth = Math.max(...envs.map((text) => text.length)) + 2
  return flags
    .map((flag, index) => `${left[index]!.padEnd(leftWidth)}${envs[index]!.padEnd(envWidth)}${flag.help}`)
    .join('\n')
}
