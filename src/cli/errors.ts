/** A mistake in how the CLI was called (flags, products file, store spec): exit code 2, the message on stderr. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** A failure while running (a store that does not open, a port in use, Telegram refusing a call): exit code 1. */
export class CliError extends Error {
  override name = 'CliError'
}
