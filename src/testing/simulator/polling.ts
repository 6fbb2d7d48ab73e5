// getUpdates as the Bot API server answers it: updates at once if there are any; else, with a timeout, one long
// poll that waits until an update arrives or the timeout passes. A newer long poll ends the one waiting with a
// 409, as does a webhook being set, so two bot instances polling one bot see the conflict they would see live.
import { BotApiError } from './context'
import type { Update } from './types'
import type { UpdateQueue } from './update-queue'

/** The Bot API server waits at most this long (LONG_POLL_MAX_TIMEOUT), whatever timeout the call asked for. */
const maxTimeoutSeconds = 50

export const conflictWithWebhook =
  "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
const terminatedByPoll =
  'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running'
export const terminatedByWebhook = 'Conflict: terminated by setWebhook request'

export interface GetUpdatesRequest {
  offset: number
  limit: number
  /** Seconds. */
  timeout: number
}

interface WaitingPoll extends GetUpdatesRequest {
  answer(updates: Update[]): void
  fail(error: BotApiError): void
}

export class LongPolling {
  private waiting: WaitingPoll | undefined
  private closed = false

  constructor(private readonly queue: UpdateQueue) {
    // An update arriving wakes the waiting poll. On a microtask, so updates made in one go (a duplicate's
    // copies, a pre-checkout query and what follows it at once) come in one answer, as Telegram gathers them.
    queue.onChange(() => {
      if (this.waiting && queue.length > 0) queueMicrotask(() => this.wake())
    })
  }

  /** Whether a long poll is waiting for updates. */
  get isWaiting(): boolean {
    return this.waiting !== undefined
  }

  /**
   * Answers a getUpdates call (its webhook check done by the caller). The limit and timeout are clamped as the
   * Bot API server clamps them (limit 1-100, timeout 0-50 s). `signal` aborts when the caller hung up, which
   * ends its long poll without an answer.
   */
  getUpdates(request: GetUpdatesRequest, signal: AbortSignal): Promise<Update[]> {
    const limit = Math.min(100, Math.max(1, request.limit))
    const timeout = Math.min(maxTimeoutSeconds, Math.max(0, request.timeout))
    const updates = this.queue.read(request.offset, limit)
    if (updates.length > 0 || timeout === 0 || this.closed || signal.aborted) return Promise.resolve(updates)
    // Only a call that would wait ends the one waiting, as in the Bot API server.
    this.terminate(terminatedByPoll)
    return new Promise<Update[]>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', hungUp)
        if (this.waiting === poll) this.waiting = undefined
      }
      const poll: WaitingPoll = {
        offset: request.offset,
        limit,
        timeout,
        answer(answer) {
          done()
          resolve(answer)
        },
        fail(error) {
          done()
          reject(error)
        },
      }
      const timer = setTimeout(() => poll.answer([]), timeout * 1000)
      const hungUp = () => poll.answer([])
      signal.addEventListener('abort', hungUp, { once: true })
      this.waiting = poll
    })
  }

  /** Ends the waiting long poll with a 409 (another poll, or a webhook, took over). */
  terminate(description: string): void {
    this.waiting?.fail(new BotApiError(409, description))
  }

  /** Answers the waiting long poll with no updates (what the Bot API server does when it shuts down), and any
   * later call at once. */
  close(): void {
    this.closed = true
    this.waiting?.answer([])
  }

  private wake(): void {
    const poll = this.waiting
    if (!poll) return
    // The offset is applied again, as the Bot API server does on wake-up: a negative one keeps only the last
    // updates of those that arrived.
    const updates = this.queue.read(poll.offset, poll.limit)
    if (updates.length > 0) poll.answer(updates)
  }
}
