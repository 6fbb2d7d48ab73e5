/** Where the server logs: `console` by default; pino, winston and the like fit as they are. */
export interface Logger {
  info(message: string, data?: Record<string, unknown>): void
  warn(message: string, data?: Record<string, unknown>): void
  error(message: string, data?: Record<string, unknown>): void
}

/** `console`, with a `[tma-pay]` prefix. */
export const consoleLogger: Logger = {
  info: (message, data) => console.info(`[tma-pay] ${message}`, data ?? ''),
  warn: (message, data) => console.warn(`[tma-pay] ${message}`, data ?? ''),
  error: (message, data) => console.error(`[tma-pay] ${message}`, data ?? ''),
}
