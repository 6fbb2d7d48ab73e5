/**
 * Where the server logs: `console` by default, `jsonLogger()` for one JSON line per event. winston fits as it
 * is; pino takes `(data, message)`: `{ info: (message, data) => pino.info(data, message), ... }`.
 */
export interface Logger {
  info(message: string, data?: Record<string, unknown>): void
  warn(message: string, data?: Record<string, unknown>): void
  error(message: string, data?: Record<string, unknown>): void
}

type Level = keyof Logger

/** `console`, with a `[tma-pay]` prefix. */
export const consoleLogger: Logger = {
  info: (message, data) => console.info(`[tma-pay] ${message}`, data ?? ''),
  warn: (message, data) => console.warn(`[tma-pay] ${message}`, data ?? ''),
  error: (message, data) => console.error(`[tma-pay] ${message}`, data ?? ''),
}

/**
 * One JSON object per line, for log collectors: `{"time","level","msg",...data}`. Errors in `data` become
 * `{ name, message }` (their stacks stay out of the logs). `write` defaults to standard output.
 */
export function jsonLogger(write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  const log = (level: Level) => (message: string, data?: Record<string, unknown>) => {
    const event = { time: new Date().toISOString(), level, msg: message, ...data }
    write(`${JSON.stringify(event, (_key, value) => plain(value))}\n`)
  }
  return { info: log('info'), warn: log('warn'), error: log('error') }
}

const plain = (value: unknown) =>
  value instanceof Error
    ? { name: value.name, message: value.message }
    : typeof value === 'bigint'
      ? String(value)
      : value

// A Bot API token (`123456:AA...`, BotFather's form), wherever it rides: an error message, a URL's `/bot<token>/`
// (so no word boundary before it: `bot` runs straight into its digits).
const BOT_TOKEN = /(?<!\d)\d{5,}:[A-Za-z0-9_-]{30,}/g
// The password of a URL with credentials (`postgres://user:pass@host`).
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi

/** Text with every secret of `secrets`, any bot token and any URL password replaced by `***`. */
export function redactText(text: string, secrets: readonly string[]): string {
  let redacted = text.replace(BOT_TOKEN, '***').replace(URL_PASSWORD, '$1***@')
  for (const secret of secrets) if (secret) redacted = redacted.split(secret).join('***')
  return redacted
}

function redactValue(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return redactText(value, secrets)
  if (depth > 8 || value === null || typeof value !== 'object') return value
  if (value instanceof Error) return { name: value.name, message: redactText(value.message, secrets) }
  if (Array.isArray(value)) return value.map((item) => redactValue(item, secrets, depth + 1))
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, redactValue(item, secrets, depth + 1)]),
  )
}

/**
 * `logger` with no secret in anything it writes: the given ones (bot token, webhook secret, admin key...), and
 * whatever looks like a bot token or a URL's password, in the message and anywhere in `data`.
 */
export function redactingLogger(logger: Logger, secrets: readonly (string | undefined)[]): Logger {
  const known = secrets.filter((secret): secret is string => !!secret && secret.length >= 4)
  const log = (level: Level) => (message: string, data?: Record<string, unknown>) =>
    logger[level](redactText(message, known), data && (redactValue(data, known) as Record<string, unknown>))
  return { info: log('info'), warn: log('warn'), error: log('error') }
}
