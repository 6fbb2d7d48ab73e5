// Logs with no secret in them (issue 12): jsonLogger's lines, redactingLogger, and the server masking its own
// options' secrets in whatever it logs, through any logger an app gives it.
import { createPayServer, jsonLogger, type Logger, type PayStore, redactingLogger } from 'tma-pay/server'
import { describe, expect, it } from 'vitest'

const botToken = '7654321098:AAH-Zx_secretPartOfTheBotToken123456'

/** A logger that keeps what it is given. */
function recorder() {
  const entries: Array<{ level: string; message: string; data?: Record<string, unknown> }> = []
  const log = (level: string) => (message: string, data?: Record<string, unknown>) =>
    void entries.push({ level, message, ...(data ? { data } : {}) })
  const logger: Logger = { info: log('info'), warn: log('warn'), error: log('error') }
  return { logger, entries }
}

describe('jsonLogger', () => {
  it('writes one JSON object per line, with errors as name and message', () => {
    const lines: string[] = []
    const logger = jsonLogger((line) => void lines.push(line))
    logger.info('listening', { port: 3000 })
    logger.error('failed', { error: new TypeError('bad'), count: 10n })
    expect(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true)
    const [first, second] = lines.map((line) => JSON.parse(line))
    expect(first).toMatchObject({ level: 'info', msg: 'listening', port: 3000 })
    expect(Number.isNaN(Date.parse(first.time))).toBe(false)
    expect(second).toMatchObject({
      level: 'error',
      msg: 'failed',
      error: { name: 'TypeError', message: 'bad' },
    })
    expect(second.count).toBe('10')
  })
})

describe('redactingLogger', () => {
  it('masks the secrets it is given, bot tokens and URL passwords, in the message and anywhere in the data', () => {
    const { logger, entries } = recorder()
    const redacted = redactingLogger(logger, ['admin-key-0123456789', undefined, 'x'])
    redacted.warn(`call https://api.telegram.org/bot${botToken}/getMe failed`, {
      store: 'postgres://shop:hunter2-pass@db.internal:5432/shop',
      nested: { list: ['admin-key-0123456789 leaked'], error: new Error(`token ${botToken}`) },
      count: 3,
    })
    const text = JSON.stringify(entries)
    for (const secret of [botToken, 'hunter2-pass', 'admin-key-0123456789'])
      expect(text).not.toContain(secret)
    expect(entries[0]).toEqual({
      level: 'warn',
      message: 'call https://api.telegram.org/bot***/getMe failed',
      data: {
        store: 'postgres://shop:***@db.internal:5432/shop',
        nested: { list: ['*** leaked'], error: { name: 'Error', message: 'token ***' } },
        count: 3,
      },
    })
  })
})

describe('the pay server', () => {
  it("never gives its logger one of its options' secrets", async () => {
    const { logger, entries } = recorder()
    const adminKey = 'a-long-admin-key-for-the-logging-test-0001'
    const webhookSecret = 'logging_webhook_secret'
    // A store whose migration fails with a message that carries the secrets, as a driver's error might.
    const store = {
      migrate: () =>
        Promise.reject(new Error(`cannot reach ${botToken} with ${webhookSecret} and ${adminKey}`)),
      close: () => Promise.resolve(),
    } as unknown as PayStore
    const pay = createPayServer({
      botToken,
      webhookSecret,
      adminKey,
      products: [{ id: 'gem', title: 'Gem', description: 'A gem.', amount: 5 }],
      store,
      logger,
      reconcile: false,
      backgroundIntervalMs: false,
    })
    const response = await pay.fetch(new Request('http://pay.test/products'))
    expect(response.status).toBe(503)
    await pay.close()
    expect(entries.length).toBeGreaterThan(0)
    const text = JSON.stringify(entries)
    expect(text).toContain('cannot reach ***')
    for (const secret of [botToken, webhookSecret, adminKey]) expect(text).not.toContain(secret)
  })
})
