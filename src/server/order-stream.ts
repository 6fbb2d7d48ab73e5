import { isSettled } from '../core/status'
import type { Logger } from './logger'
import type { NotifiedOrderChange, OrderChange, PayStore } from './store/types'

/**
 * Fans the store's change notifications (one LISTEN per server) out to the streams watching each
 * order, so a thousand open streams cost one database connection, not a thousand.
 */
export function createOrderChangeHub(store: PayStore, logger: Logger) {
  const watchers = new Map<string, Set<(notified?: NotifiedOrderChange) => void>>()
  let listening: Promise<() => Promise<void>> | undefined

  const listen = () =>
    (listening ??= store
      .listenForOrderChanges((orderId, notified) => {
        for (const wake of watchers.get(orderId) ?? []) wake(notified)
      })
      .catch((error) => {
        // Streams still see changes on their heartbeat; the next stream tries LISTEN again.
        logger.warn('could not listen for order changes; streams fall back to their heartbeat', {
          error: String(error),
        })
        listening = undefined
        return async () => {}
      }))

  return {
    /**
     * Calls `wake` whenever the order may have changed, with the change when its notification carries it; resolves
     * once notifications flow.
     */
    async watch(orderId: string, wake: (notified?: NotifiedOrderChange) => void): Promise<() => void> {
      const set = watchers.get(orderId) ?? new Set()
      watchers.set(orderId, set)
      set.add(wake)
      await listen()
      return () => {
        set.delete(wake)
        if (set.size === 0 && watchers.get(orderId) === set) watchers.delete(orderId)
      }
    },
    async close() {
      const stop = await listening
      listening = undefined
      await stop?.().catch(() => {})
    },
  }
}

export type OrderChangeHub = ReturnType<typeof createOrderChangeHub>

export interface OrderStreamOptions {
  store: PayStore
  hub: OrderChangeHub
  orderId: string
  /** The last change the client saw (`Last-Event-ID`); undefined for a new stream, which starts with the order as it is. */
  lastEventId: number | undefined
  heartbeatMs: number
  /** Aborted when the client goes away. */
  signal: AbortSignal
  logger: Logger
}

const encoder = new TextEncoder()

/**
 * `GET /orders/:id/stream`: Server-Sent Events, `event: order` with the whole Order on every change,
 * `id:` its position on the order's timeline. Each change goes out once and in order: a stream sends what the
 * timeline holds after the last id it sent, or a notification's change only when it says it follows that id (the
 * live path's common case, with no read). Ends (the server closes) once the order is settled.
 */
export function orderStreamResponse(options: OrderStreamOptions): {
  response: Response
  /** Ends the stream now (the server is shutting down). */
  close(): void
  /** Resolves when the stream has ended, for whatever reason. */
  done: Promise<void>
} {
  const { store, orderId } = options
  let lastSeq = options.lastEventId ?? 0
  let closed = false
  /** The first read is done: from then on `lastSeq` is what the client has. */
  let started = false
  let checking: Promise<void> | undefined
  let checkAgain = false
  let stopWatching: (() => void) | undefined
  let heartbeat: ReturnType<typeof setInterval> | undefined
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let finished!: () => void
  const done = new Promise<void>((resolve) => {
    finished = resolve
  })

  const close = () => {
    if (closed) return
    closed = true
    clearInterval(heartbeat)
    stopWatching?.()
    options.signal.removeEventListener('abort', close)
    try {
      controller.close()
    } catch {}
    finished()
  }
  const write = (text: string) => {
    if (!closed) controller.enqueue(encoder.encode(text))
  }
  const send = (change: OrderChange) => {
    if (closed || change.seq <= lastSeq) return
    lastSeq = change.seq
    write(`id: ${change.seq}\nevent: order\ndata: ${JSON.stringify(change.order)}\n\n`)
    if (isSettled(change.order.status)) close()
  }

  // One read at a time; a wake-up during a read asks for one more, so nothing falls between two reads.
  const check = () => {
    if (closed) return
    if (checking) {
      checkAgain = true
      return
    }
    checking = (async () => {
      do {
        checkAgain = false
        for (const change of await store.orderChangesSince(orderId, lastSeq)) send(change)
      } while (checkAgain && !closed)
    })()
      .catch((error) => {
        options.logger.warn('order stream read failed; the client reconnects', {
          orderId,
          error: String(error),
        })
        close()
      })
      .finally(() => {
        checking = undefined
      })
  }

  const wake = (notified?: NotifiedOrderChange) => {
    // Heard twice (from this instance as it committed, then back through PostgreSQL's NOTIFY) and sent already.
    if (notified && started && notified.seq <= lastSeq) return
    // While a read runs, or for a change that does not follow the last one sent, the timeline decides.
    if (!notified || !started || checking || notified.previousSeq !== lastSeq) return check()
    try {
      send(notified.change())
    } catch {
      check()
    }
  }

  const stream = new ReadableStream<Uint8Array>({
    async start(streamController) {
      controller = streamController
      options.signal.addEventListener('abort', close)
      // A reconnecting EventSource waits this long; ours reconnects on its own schedule.
      write('retry: 1000\n\n')
      try {
        // Watch first, then read: a change between the two is still caught by the wake-up.
        stopWatching = await options.hub.watch(orderId, wake)
        const latest = await store.latestOrderChange(orderId)
        if (!latest) return close()
        if (options.lastEventId === undefined) {
          // A new stream starts with the order as it is now.
          lastSeq = latest.seq - 1
          send(latest)
        } else if (latest.seq <= lastSeq && isSettled(latest.order.status)) {
          // The client saw the last change of a settled order already: nothing more will come.
          return close()
        }
        started = true
        check()
      } catch (error) {
        options.logger.warn('order stream failed to start', { orderId, error: String(error) })
        close()
        return
      }
      if (closed) return
      heartbeat = setInterval(() => {
        // A comment keeps proxies from closing an idle stream; the re-read covers a NOTIFY lost in a reconnect.
        write(': heartbeat\n\n')
        check()
      }, options.heartbeatMs)
      heartbeat.unref?.()
    },
    cancel: close,
  })

  const response = new Response(stream, {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // nginx buffers responses unless told not to; a buffered stream is no stream.
      'x-accel-buffering': 'no',
    },
  })
  return { response, close, done }
}
