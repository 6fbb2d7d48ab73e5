// Where updates go, as Telegram does it. With a webhook: POST each update to it (with the secret header),
// redeliver the same update after a non-2xx answer or a network error, give up after the last retry. Without
// one: keep it in the queue getUpdates reads (update-queue.ts, polling.ts). Faults on demand, in both.
import { allowsUpdate } from './allowed-updates'
import { Faults } from './faults'
import type { Fault, RecordedDelivery, Update, WebhookSettings } from './types'
import { UpdateQueue } from './update-queue'
import { callWebhook, webhookReply } from './webhook-call'

export interface WebhookDeliveryOptions {
  retryDelaysMs: number[]
  /** Each update once, when it enters delivery (for recording). */
  onUpdate(update: Update): void
  /** A webhook may answer with a Bot API call in its body ("webhook reply"); Telegram executes it. */
  onWebhookReply(method: string, params: Record<string, unknown>): void
}

export function updateType(update: object): string | undefined {
  return Object.keys(update).find((key) => key !== 'update_id')
}

export class WebhookDelivery {
  readonly deliveries: RecordedDelivery[] = []
  webhook: WebhookSettings | undefined
  lastError: { date: number; message: string } | undefined
  /** allowed_updates, for the bot as a whole (setWebhook and getUpdates set it); undefined: the default. */
  allowedUpdates: readonly string[] | undefined
  /** Updates made while no webhook was set: getUpdates reads them; a webhook set later gets them. */
  readonly queue = new UpdateQueue()
  /** Updates a 'reorder' fault holds back until the next update has gone out (to the webhook)... */
  private held: Update[] = []
  /** ...or, with no webhook, until the next update is made; they get their update_id then (see enqueue). */
  private heldUnmade: Array<Omit<Update, 'update_id'>> = []
  private faults = new Faults()
  private nextUpdateId = 100_000_001
  /** update_ids handed to the webhook pipeline and neither delivered nor given up yet. */
  private outstanding = new Set<number>()
  private inFlight = 0
  private idleWaiters: Array<() => void> = []
  private polledWaiters: Array<() => void> = []
  private timers = new Set<ReturnType<typeof setTimeout>>()
  private closing = new AbortController()

  constructor(private readonly options: WebhookDeliveryOptions) {
    this.queue.onChange(() => this.checkIdle())
  }

  /** Updates Telegram still holds for the bot: unconfirmed in the queue, held, being (re)delivered. */
  get pendingUpdateCount(): number {
    return this.queue.distinctCount + this.outstanding.size
  }

  /** Sets (or with undefined, removes) the webhook. Telegram forgets the last error of a webhook it replaces
   * or removes, and keeps it when setWebhook changes nothing. */
  setWebhook(webhook: WebhookSettings | undefined, dropPendingUpdates: boolean): void {
    const same =
      webhook?.url === this.webhook?.url &&
      webhook?.secretToken === this.webhook?.secretToken &&
      webhook?.maxConnections === this.webhook?.maxConnections
    if (!same || dropPendingUpdates) this.lastError = undefined
    this.webhook = webhook
    if (dropPendingUpdates) {
      this.queue.clear()
      // Updates in redelivery are Telegram's pending updates too: their retries find them gone.
      this.outstanding.clear()
      this.held = []
      this.heldUnmade = []
    }
    if (!webhook) return
    for (const update of this.queue.takeAll()) void this.start(update)
  }

  addFault(fault: Fault): void {
    this.faults.add(fault)
  }

  /**
   * Gives the update its update_id and sends it. Resolves when its first delivery attempt is done, or at once
   * when there is no webhook (it waits in the queue for getUpdates) or a fault drops, delays or holds it.
   */
  enqueue(update: Omit<Update, 'update_id'>): Promise<void> {
    if (this.closing.signal.aborted) return Promise.resolve()
    if (!allowsUpdate(this.allowedUpdates, updateType(update))) return Promise.resolve()
    if (this.webhook) return this.start(this.make(update))
    // With no webhook the fault applies now. getUpdates answers in update_id order and an offset confirms
    // everything below it, so an update delayed or reordered with its id kept would be confirmed unseen once
    // a later one is: here it is made late instead (its update_id assigned when it enters the queue).
    const fault = this.faults.take(update)
    if (fault?.type === 'drop') {
      this.record(this.make(update), 1, 0, 'drop')
    } else if (fault?.type === 'delay') {
      this.later(fault.ms ?? 1000, async () => this.admit(update))
    } else if (fault?.type === 'reorder') {
      this.heldUnmade.push(update)
    } else {
      // A duplicate's copies sit side by side: one getUpdates answer carries them all, and confirming the
      // update_id confirms them all.
      this.admit(update, fault?.type === 'duplicate' ? Math.max(1, fault.count ?? 2) : 1)
    }
    return Promise.resolve()
  }

  /** Unconfirmed updates waiting for getUpdates. */
  get pendingUpdates(): readonly Update[] {
    return this.queue.all
  }

  private make(update: Omit<Update, 'update_id'>): Update {
    const full: Update = { update_id: this.nextUpdateId++, ...update }
    this.options.onUpdate(full)
    return full
  }

  /** An update made with its fault already applied: into the queue, or to a webhook set meanwhile. */
  private admit(update: Omit<Update, 'update_id'>, copies = 1): void {
    const full = this.make(update)
    if (this.webhook) void this.start(full, false)
    else this.queue.add(full, copies)
    for (const held of this.heldUnmade.splice(0)) this.admit(held)
  }

  private start(update: Update, faulty = true): Promise<void> {
    this.outstanding.add(update.update_id)
    const fault = faulty ? this.faults.take(update) : undefined
    if (fault?.type === 'reorder') {
      this.held.push(update)
      return Promise.resolve()
    }
    // Held updates go out right after this one's first attempt: that is the reordering. (idle() may have sent
    // them already, hence the check that they are still held.)
    const heldBack = [...this.held]
    const releaseHeld = () => {
      for (const held of heldBack) if (this.unhold(held)) void this.send(held, 1)
    }
    let first: Promise<void>
    if (fault?.type === 'drop') {
      this.record(update, 1, 0, 'drop')
      this.outstanding.delete(update.update_id)
      first = Promise.resolve()
    } else if (fault?.type === 'delay') {
      this.later(fault.ms ?? 1000, () => this.send(update, 1, 'delay'))
      first = Promise.resolve()
    } else if (fault?.type === 'duplicate') {
      first = this.send(update, 1, 'duplicate', Math.max(1, fault.count ?? 2))
    } else {
      first = this.send(update, 1)
    }
    return first.then(releaseHeld)
  }

  private unhold(update: Update): boolean {
    const index = this.held.indexOf(update)
    if (index >= 0) this.held.splice(index, 1)
    return index >= 0
  }

  private send(update: Update, attempt: number, fault?: Fault['type'], copies = 1): Promise<void> {
    return this.track(async () => {
      // Dropped meanwhile (drop_pending_updates).
      if (!this.outstanding.has(update.update_id)) return
      const webhook = this.webhook
      if (!webhook) {
        // The webhook was removed meanwhile: Telegram keeps the update, for getUpdates or the next webhook.
        this.outstanding.delete(update.update_id)
        this.queue.add(update)
        return
      }
      const results = await Promise.all(
        Array.from({ length: copies }, () => this.post(webhook, update, attempt, fault)),
      )
      if (this.closing.signal.aborted) return
      if (results.some(Boolean)) {
        this.outstanding.delete(update.update_id)
        return
      }
      const delay = this.options.retryDelaysMs[attempt - 1]
      if (delay === undefined) {
        const last = this.deliveries.findLast((delivery) => delivery.updateId === update.update_id)
        if (last) last.gaveUp = true
        this.outstanding.delete(update.update_id)
        return
      }
      this.later(delay, () => this.send(update, attempt + 1))
    })
  }

  private async post(webhook: WebhookSettings, update: Update, attempt: number, fault?: Fault['type']) {
    const result = await callWebhook(webhook, update, this.closing.signal)
    this.record(
      update,
      attempt,
      result.status,
      fault,
      result.ok ? undefined : result.status ? undefined : result.error,
    )
    if (!result.ok) {
      this.lastError = { date: Math.floor(Date.now() / 1000), message: result.error }
      return false
    }
    const reply = webhookReply(result.body)
    if (reply) this.options.onWebhookReply(reply.method, reply.params)
    return true
  }

  private record(
    update: Update,
    attempt: number,
    status: number,
    fault?: Fault['type'],
    error?: string,
  ): void {
    const delivery: RecordedDelivery = {
      updateId: update.update_id,
      update,
      attempt,
      status,
      at: new Date().toISOString(),
    }
    if (fault) delivery.fault = fault
    if (error) delivery.error = error
    this.deliveries.push(delivery)
  }

  /** Counts work toward idle() for as long as the promise runs. */
  track<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight++
    return work().finally(() => {
      this.inFlight--
      this.checkIdle()
    })
  }

  private later(ms: number, work: () => Promise<void>): void {
    this.inFlight++
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      // Start the work before releasing the count, so idle() never sees a gap between the two.
      void work()
      this.inFlight--
      this.checkIdle()
    }, ms)
    this.timers.add(timer)
  }

  /** Resolves when nothing is in flight or scheduled. Held (reordered) updates are sent first if nothing follows.
   * Updates waiting in the queue for getUpdates do not count: see polled(). */
  idle(): Promise<void> {
    if (this.closing.signal.aborted) return Promise.resolve()
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve)
      this.checkIdle()
    })
  }

  /** Resolves once idle() would and the queue is empty: every update made so far went to a webhook or was
   * confirmed by getUpdates. Rejects after timeoutMs, saying what still waits. */
  polled(timeoutMs: number): Promise<void> {
    if (this.closing.signal.aborted) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.polledWaiters.splice(this.polledWaiters.indexOf(done), 1)
        const waiting = this.queue.distinctCount
        reject(
          new Error(
            waiting > 0
              ? `${waiting} update(s) still wait to be confirmed by getUpdates after ${timeoutMs} ms: is the bot polling?`
              : `deliveries still in flight after ${timeoutMs} ms`,
          ),
        )
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        resolve()
      }
      this.polledWaiters.push(done)
      this.checkIdle()
    })
  }

  private checkIdle(): void {
    if (this.inFlight > 0 || (this.idleWaiters.length === 0 && this.polledWaiters.length === 0)) return
    if ((this.held.length > 0 || this.heldUnmade.length > 0) && !this.closing.signal.aborted) {
      const unmade = this.heldUnmade.splice(0)
      for (const update of this.held.splice(0)) void this.send(update, 1)
      for (const update of unmade) this.admit(update)
      if (this.inFlight > 0) return
    }
    for (const resolve of this.idleWaiters.splice(0)) resolve()
    if (this.queue.length === 0) for (const resolve of this.polledWaiters.splice(0)) resolve()
  }

  close(): void {
    this.closing.abort()
    // Each scheduled timer counted as work in flight; in-flight posts end through their aborted fetch.
    for (const timer of this.timers) clearTimeout(timer)
    this.inFlight -= this.timers.size
    this.timers.clear()
    this.held = []
    this.heldUnmade = []
    for (const resolve of this.idleWaiters.splice(0)) resolve()
    for (const resolve of this.polledWaiters.splice(0)) resolve()
  }
}
