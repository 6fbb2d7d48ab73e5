// The flag parsing the benches share: strict parseArgs with --help, checked numbers, the store list, and the
// pieces of the command that reproduces a run.
import { type ParseArgsConfig, parseArgs } from 'node:util'

export type StoreKind = 'pglite' | 'postgres'

type FlagsConfig = NonNullable<ParseArgsConfig['options']>

const helpFlag = { help: { type: 'boolean', short: 'h', default: false } } as const

type FlagValues<O extends FlagsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; strict: true; options: O & typeof helpFlag }>
>['values']

/** The flags' values, strict (an unknown flag throws); `undefined` for --help. */
export function readFlags<const O extends FlagsConfig>(
  argv: string[],
  options: O,
): FlagValues<O> | undefined {
  const { values } = parseArgs({ args: argv, strict: true, options: { ...options, ...helpFlag } })
  return (values as { help?: boolean }).help ? undefined : (values as FlagValues<O>)
}

export function positiveInt(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min)
    throw new Error(`--${name} must be an integer >= ${min}, not ${JSON.stringify(text)}`)
  return value
}

/** A decimal within [min, max], for flags in seconds or per second. */
export function boundedNumber(
  name: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(value) || value < min || value > max)
    throw new Error(`--${name} must be a number from ${min} to ${max}, not ${JSON.stringify(text)}`)
  return value
}

/** --stores: pglite and/or postgres, comma-separated, each once. */
export function parseStores(text: string): StoreKind[] {
  const stores = text.split(',').map((s) => s.trim())
  for (const store of stores)
    if (store !== 'pglite' && store !== 'postgres')
      throw new Error(`--stores takes pglite and/or postgres, not ${JSON.stringify(store)}`)
  return [...new Set(stores)] as StoreKind[]
}

/** The environment part of a reproduce command: the database URL a run used, its password masked. */
export const databaseUrlPrefix = (databaseUrl: string | undefined) =>
  databaseUrl ? `TMA_PAY_BENCH_DATABASE_URL='${maskPassword(databaseUrl)}' ` : ''

export function maskPassword(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return url
  }
}
