// Operating `tma-pay serve` (issue 12): --metrics serves Prometheus text behind the admin key, and
// --log-format json writes one JSON object per line with no secret in any of them, through a payment, a
// notification endpoint that is down, and refused admin and webhook calls.
import { type ChildProcess, spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { bin, buyOnSimulator, childEnv, freePort, root, run, type Served } from './helpers/cli'
import { eventually } from './helpers/stack'

const adminKey = 'ops-admin-key-0123456789abcdef0123456789'
const webhookSecret = 'ops_webhook_secret-4242'
const notifySecret = 'ops-notify-secret-777'
const notifyToken = 'ops-notify-token-999'
// The simulator's own bot token (tma-pay/testing's default).
const botToken = '123456789:TEST-simulator-token'
const secrets = [adminKey, webhookSecret, notifySecret, notifyToken, botToken]

type LogLine = { time: string; level: string; msg: string; [key: string]: unknown }

/** `tma-pay serve --log-format json`: its lines as they come, and the URLs of its "listening" event. */
async function serveJson(args: string[]) {
  const child: ChildProcess = spawn(process.execPath, [bin, 'serve', ...args], {
    cwd: root,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk) => (stdout += chunk))
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  const lines = () =>
    stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LogLine)
  const listening = await eventually(() => {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${stdout}${stderr}`)
    // A line still being written is not JSON yet: wait for the newline.
    return stdout.endsWith('\n') && lines().find((line) => line.msg === 'tma-pay listening')
  }, 30_000)
  return {
    apiUrl: listening.apiUrl as string,
    simUrl: listening.simUrl as string,
    metricsUrl: listening.metricsUrl as string,
    lines,
    output: () => stdout + stderr,
    async stop() {
      child.kill('SIGTERM')
      return exited
    },
  }
}

describe('tma-pay serve --metrics --log-format json', () => {
  it('serves metrics that move after a payment, and logs JSON lines with no secret', async () => {
    // A notify URL where nothing listens: every order.paid fails and is logged, with the URL in the line.
    const notifyUrl = `http://127.0.0.1:${await freePort()}/hooks/tma-pay?token=${notifyToken}`
    const served = await serveJson([
      '--products',
      'examples/products.json',
      '--store',
      'pglite:memory://',
      '--port',
      '0',
      '--admin-key',
      adminKey,
      '--webhook-secret',
      webhookSecret,
      '--notify-url',
      notifyUrl,
      '--notify-secret',
      notifySecret,
      '--metrics',
      '--log-format',
      'json',
    ])
    try {
      expect(served.metricsUrl).toBe(`${served.apiUrl}/admin/metrics`)
      const scrape = async () => {
        const response = await fetch(served.metricsUrl, { headers: { authorization: `Bearer ${adminKey}` } })
        expect(response.status).toBe(200)
        return response.text()
      }
      const paidCount = (text: string) =>
        Number(/^tma_pay_payments_total\{outcome="paid",source="telegram"\} (\d+)$/m.exec(text)?.[1] ?? 0)
      const before = await scrape()
      expect(paidCount(before)).toBe(0)
      // prom-client's process metrics come along.
      expect(before).toMatch(/^process_cpu_user_seconds_total /m)
      expect((await fetch(served.metricsUrl)).status).toBe(401)

      await buyOnSimulator({ apiUrl: served.apiUrl, simUrl: served.simUrl } as Served, 1001)
      const after = await eventually(async () => {
        const text = await scrape()
        return paidCount(text) === 1 && text
      })
      expect(after).toMatch(/^tma_pay_pre_checkout_seconds_count\{answer="approved"\} 1$/m)
      expect(after).toMatch(/^tma_pay_webhook_seconds_count\{status="200"\} [2-9]\d*$/m)
      // The notification is retried: its job waits in the outbox.
      await eventually(async () => /^tma_pay_outbox_pending [1-9]/m.test(await scrape()))

      // Refused calls, which log or answer with what was sent.
      await fetch(`${served.apiUrl}/admin/orders`, { headers: { authorization: `Bearer ${adminKey}x` } })
      await fetch(`${served.apiUrl}/telegram/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'wrong' },
        body: '{}',
      })
      await eventually(() =>
        served.lines().some((line) => line.level === 'warn' && /order\.paid handler failed/.test(line.msg)),
      )
    } finally {
      expect(await served.stop()).toBe(0)
    }
    const lines = served.lines()
    for (const line of lines) {
      expect(Number.isNaN(Date.parse(line.time))).toBe(false)
      expect(['info', 'warn', 'error']).toContain(line.level)
      expect(typeof line.msg).toBe('string')
    }
    // The failing notification's line names the endpoint, masked.
    const failed = lines.find((line) => /order\.paid handler failed/.test(line.msg))!
    expect(JSON.stringify(failed)).toContain('/hooks/tma-pay?***')
    const output = served.output()
    for (const secret of secrets) expect(output).not.toContain(secret)
  })

  it('refuses --metrics without an admin key, and a log format it does not know', async () => {
    const base = ['serve', '--products', 'examples/products.json', '--store', 'pglite:memory://']
    const noKey = await run([...base, '--metrics'])
    expect(noKey.code).toBe(2)
    expect(noKey.stderr).toMatch(/--metrics needs --admin-key/)
    const xml = await run([...base, '--log-format', 'xml'])
    expect(xml.code).toBe(2)
    expect(xml.stderr).toMatch(/--log-format must be text or json, not "xml"/)
  })
})
