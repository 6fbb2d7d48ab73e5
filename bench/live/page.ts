// The browser side of the live bench, bundled by esbuild into the page the bench serves. It watches an order
// the way a Mini App does, through tma-pay's own client, and says when it first saw the order paid, on the
// page's clock (performance.timeOrigin + performance.now(), sub-ms; the bench maps it onto its own clock).
import { createPayClient, isSettled, type Order } from '../../src/core/index'
import { liveOrderStream } from '../../src/core/live'

export type WatchMode = 'live' | 'poll'

export interface WatchResult {
  /** When the page first held the order as paid; undefined when it never did. */
  paidSeenAt?: number
  /** When the first answer arrived: the stream's first event, or the first poll's answer. */
  firstAnswerAt?: number
  /** Stream events received, or polls answered. */
  answers: number
  /** The last status seen. */
  status?: string
  error?: string
}

/** Watches an order with the client on `baseUrl` until it settles or `boundMs` pass. */
export type Watch = (
  orderId: string,
  initData: string,
  mode: WatchMode,
  boundMs: number,
  baseUrl: string,
) => Promise<WatchResult>

declare global {
  interface Window {
    benchNow(): number
    watch: Watch
  }
}

const now = () => performance.timeOrigin + performance.now()

// useOrder's polling schedule when the stream is unavailable: min(5000, 1000 * 1.5^(n-1)) after the n-th answer.
const pollDelay = (answers: number) => Math.min(5000, 1000 * 1.5 ** (answers - 1))

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      reject(signal.reason)
    })
  })

window.benchNow = now

window.watch = async (orderId, initData, mode, boundMs, baseUrl) => {
  const client = createPayClient({ baseUrl, initData, orderStream: liveOrderStream })
  const signal = AbortSignal.timeout(boundMs)
  const result: WatchResult = { answers: 0 }
  const seen = (order: Order) => {
    const at = now()
    result.firstAnswerAt ??= at
    result.answers += 1
    result.status = order.status
    if (order.status === 'paid') result.paidSeenAt ??= at
  }
  try {
    if (mode === 'live') {
      await client.watchOrder(orderId, seen, { signal })
    } else {
      for (;;) {
        const order = await client.getOrder(orderId, { signal })
        seen(order)
        if (isSettled(order.status)) break
        await sleep(pollDelay(result.answers), signal)
      }
    }
  } catch (error) {
    result.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  }
  return result
}
