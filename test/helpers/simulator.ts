// What the simulator's own tests share: a simulator closed after each test, raw Bot API calls, a webhook
// receiver, and grammY bots pointed at the simulator, polling or not, stopped after each test.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Bot } from 'grammy'
import {
  createTelegramSimulator,
  type TelegramSimulator,
  type TelegramSimulatorOptions,
  type Update,
} from 'tma-pay/testing'
import { afterEach } from 'vitest'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

export async function startSimulator(options: TelegramSimulatorOptions = {}): Promise<TelegramSimulator> {
  const sim = await createTelegramSimulator({ retryDelaysMs: [20, 40, 60], ...options })
  cleanups.push(() => sim.close())
  return sim
}

// biome-ignore lint/suspicious/noExplicitAny: Bot API answers are checked field by field in the tests
export type ApiAnswer = { status: number; body: any }

export async function callApi(
  sim: TelegramSimulator,
  method: string,
  params: object = {},
): Promise<ApiAnswer> {
  const response = await fetch(`${sim.url}/bot${sim.botToken}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  })
  return { status: response.status, body: await response.json() }
}

/** A webhook that records what it gets and answers with the status `reply` gives (default 200). */
export async function startWebhook(reply: (update: Update) => number = () => 200) {
  const received: Update[] = []
  const server = createServer(async (request, response) => {
    let body = ''
    for await (const chunk of request) body += chunk
    const update = JSON.parse(body) as Update
    received.push(update)
    response.statusCode = reply(update)
    response.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(
    () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  )
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received }
}

/** A grammY bot on the simulator, as an app makes one: botInfo given, so no getMe at start. */
export function botFor(sim: TelegramSimulator): Bot {
  return new Bot(sim.botToken, { botInfo: sim.botInfo, client: { apiRoot: sim.url } })
}

/**
 * Starts long polling (bot.start()) and resolves once its first getUpdates has reached the simulator, so what
 * the test does next happens while the bot polls. `stopped` settles when bot.start() does. The bot is stopped
 * after the test if the test did not stop it.
 */
export async function startPolling(sim: TelegramSimulator, bot: Bot) {
  const before = sim.calls.length
  const stopped = bot.start()
  // Kept from rejecting unobserved; tests that expect a rejection await `stopped` themselves.
  stopped.catch(() => {})
  cleanups.push(async () => {
    if (bot.isRunning()) await bot.stop()
    await stopped.catch(() => {})
  })
  await waitUntil(() => sim.calls.slice(before).some((call) => call.method === 'getUpdates'))
  return { stopped }
}

/** Waits for a condition the simulator's records will meet (a call arriving), checking on every turn of I/O. */
export async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('waitUntil: condition not met in time')
    await new Promise((resolve) => setImmediate(resolve))
  }
}
