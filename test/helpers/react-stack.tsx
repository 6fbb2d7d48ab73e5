// What the React tests share: the real pay server and simulator (in their own process, see
// stack-process.ts), users with signed init data, a fake Telegram that plays invoices through the
// simulator, and the providers a Mini App wraps its tree in.
import { type ChildProcess, spawn } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { type ReactNode, useState } from 'react'
import {
  type Checkout,
  type CheckoutOptions,
  createCheckout,
  createPayClient,
  type InvoiceOutcome,
  type Product,
  type TelegramBridge,
} from 'tma-pay'
import { liveOrderStream } from 'tma-pay/live'
import { PayProvider, type PayProviderProps } from 'tma-pay/react'
import { ruLabels, zhLabels } from 'tma-pay/react/locales'
import { signInitData, testUser } from 'tma-pay/testing'
import { expect } from 'vitest'

export interface Stack {
  /** The pay server's base URL; the page is served from the same origin, as a Mini App with /api/pay is. */
  url: string
  simUrl: string
  botToken: string
  close(): Promise<void>
}

// A string, not a URL: happy-dom's URL class replaces Node's, which fileURLToPath rejects.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** Starts the stack process and points the page (happy-dom) at the server's origin. Default products: stack.ts's. */
export async function startStack(options: { products?: readonly Product[] } = {}): Promise<Stack> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['node_modules/tsx/dist/cli.mjs', 'test/helpers/stack-process.ts'],
    {
      cwd: root,
      stdio: ['pipe', 'pipe', 'inherit'],
      env: {
        ...process.env,
        ...(options.products && { TMA_PAY_STACK_PRODUCTS: JSON.stringify(options.products) }),
      },
    },
  )
  const info = await new Promise<{ url: string; simUrl: string; botToken: string }>((resolve, reject) => {
    let buffer = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      const line = buffer.split('\n')[0]
      if (buffer.includes('\n')) resolve(JSON.parse(line!))
    })
    child.once('exit', (code) => reject(new Error(`the stack process exited with ${code} before it started`)))
  })
  // Same origin as the API, so the browser's fetch needs no CORS (the simulator's own API allows it).
  ;(window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`${info.url}/app/`)
  return {
    ...info,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.stdin!.end()
      }),
  }
}

export function memoryStorage() {
  const items = new Map<string, string>()
  return {
    items,
    getItem: (name: string) => items.get(name) ?? null,
    setItem: (name: string, value: string) => void items.set(name, value),
    removeItem: (name: string) => void items.delete(name),
  }
}

/** The user paying in the simulator, as Telegram's invoice sheet would. */
export async function simPay(
  stack: Stack,
  invoiceUrl: string,
  userId: number,
  outcome: 'paid' | 'cancelled' = 'paid',
) {
  const response = await fetch(`${stack.simUrl}/sim/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ invoiceUrl, userId, outcome }),
  })
  if (!response.ok) throw new Error(`sim pay failed: ${response.status} ${await response.text()}`)
}

export type InvoiceAct = (invoiceUrl: string, userId: number) => Promise<InvoiceOutcome>

let nextUser = 20_000 + Math.floor(Math.random() * 1000) * 100

export interface UserOptions {
  /** What the invoice sheet does. Default: the user pays and Telegram reports 'paid'. */
  act?: InvoiceAct
  storage?: ReturnType<typeof memoryStorage>
  /** Init data as the Mini App has it when each request goes out. Default: freshly signed. */
  initData?: () => string
  checkout?: Partial<CheckoutOptions>
  /** The server's live order stream is unavailable (an old server, a proxy that forbids it): 404. Default false. */
  noStream?: boolean
}

/** A Mini App user: a client counting its requests, a checkout over a fake Telegram bridge. */
export function createUser(stack: Stack, options: UserOptions = {}) {
  const userId = nextUser++
  const requests: string[] = []
  const opened: string[] = []
  const haptics: string[] = []
  const storage = options.storage ?? memoryStorage()
  const act = options.act ?? payAndSay(stack, 'paid')
  const fresh = signInitData({ botToken: stack.botToken, user: testUser(userId) })
  const client = createPayClient({
    baseUrl: stack.url,
    orderStream: liveOrderStream,
    initData: options.initData ?? (() => fresh),
    fetch: (input, init) => {
      const url = new URL(String(input))
      requests.push(`${init?.method ?? 'GET'} ${url.pathname}${url.search}`)
      if (options.noStream && url.pathname.endsWith('/stream'))
        return Promise.resolve(
          Response.json({ error: { code: 'not_found', message: 'No route.' } }, { status: 404 }),
        )
      return fetch(input, init)
    },
  })
  const telegram: TelegramBridge = {
    openInvoice: async (url) => {
      opened.push(url)
      return act(url, userId)
    },
    notify: (type) => void haptics.push(type),
  }
  // A new checkout is a new launch of the app: it reads the pending payment from `storage` again.
  const launch = (): Checkout =>
    createCheckout({ client, storage, telegram, pollInitialMs: 20, pollMaxMs: 100, ...options.checkout })
  return { userId, client, requests, opened, haptics, storage, launch, initData: fresh }
}

export const payAndSay =
  (stack: Stack, say: InvoiceOutcome): InvoiceAct =>
  async (url, userId) => {
    await simPay(stack, url, userId)
    return say
  }

/** A promise that never settles: the app dies (or the user walks away) with the invoice open. */
export const never = <T,>() => new Promise<T>(() => {})

export const ordersOf = async (user: ReturnType<typeof createUser>) =>
  (await user.client.listOrders()).totalCount

// The languages the test apps ship, as an app passes them to PayProvider.
const translations = { ru: ruLabels, zh: zhLabels }

/** The providers a Mini App wraps its tree in. */
export function Providers({
  checkout,
  queryClient,
  children,
  ...rest
}: { checkout: Checkout; queryClient?: QueryClient; children?: ReactNode } & Omit<
  PayProviderProps,
  'client' | 'checkout'
>) {
  const [own] = useState(() => new QueryClient())
  return (
    <QueryClientProvider client={queryClient ?? own}>
      <PayProvider checkout={checkout} translations={translations} {...rest}>
        {children}
      </PayProvider>
    </QueryClientProvider>
  )
}

/** `expect.poll` with room for a cold server: a payment crosses the API, the simulator and a webhook. */
export const poll = <T,>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 10_000, interval: 20 })
