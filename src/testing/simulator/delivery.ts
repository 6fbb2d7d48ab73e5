// Webhook delivery as Telegram does it: POST each update to the webhook (with the secret header), redeliver the
// same update after a non-2xx answer or a network error, give up after the last retry. Faults on demand.
import type { Fault, RecordedDelivery, Update, WebhookSettings } from './types'

export interface WebhookDeliveryOptions {
  retryDelaysMs: number[]
  /** Each update once, when it enters delivery (for recording). */
  onUpdate(update: Update): void
  /** A webhook may answer with a Bot API call in its body ("webhook reply"); Telegram executes it. */
  onWebhookReply(method: string, params: Record<string, unknown>): void
}

// Telegram sends these only when allowed_updates names them.
const notSentByDefault = new Set(['chat_member', 'message_reaction', 'message_reaction_count'])
// Telegram closes a webhook request that takes longer than this and counts it as failed.
const webhookTimeoutMs = 60_000

export function updateType(update: object): string | undefined {
  return Object.keys(update).find((key) => key !== 'update_id')
}

function faultHits(fault: Fault, update: Update): boolean {
  const on = fault.on ?? 'any'
  if (on === 'any') return true
  if (on === 'pre_checkout_query') return update.pre_checkout_query !== undefined
  return update.message?.[on] !== undefined
}

// fetch reports 'fetch failed' and keeps the useful part (ECONNREFUSED, timeout) in its cause.
function networkErrorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  return error.cause instanceof Error ? error.cause.message : error.message
}

export class WebhookDelivery {
  readonly deliveries: RecordedDelivery[] = []
  webhook: WebhookSettings | undefined
  lastError: { date: number; message: string } | undefined
  /** Updates made while no webhook was set; delivered once one is (unless dropped). */
  private pending: Update[] = []
  /** Updates a 'reorder' fault holds back until the next update has gone out. */
  private held: Update[] = []
  private faults: Array<Fault & { remaining: number }> = []
  private nextUpdateId = 100_000_001
  /** update_ids handed to the webhook pipeline and neither delivered nor given up yet. */
  private outstanding = new Set<number>()
  private inFlight = 0
  private idleWaiters: Array<() => void> = []
  private timers = new Set<ReturnType<typeof setTimeout>>()
  private closing = new AbortController()

  constructor(private readonly options: WebhookDeliveryOptions) {}

  /** Updates Telegram still holds for the bot: waiting for a webhook, held, being (re)delivered. */
  get pendingUpdateCount(): number {
    return this.pending.length + this.outstanding.size
  }

  setWebhook(webhook: WebhookSettings | undefined, dropPendingUpdates: boolean): void {
    this.webhook = webhook
    if (dropPendingUpdates) this.pending = []
    if (!webhook) return
    const waiting = this.pending.splice(0)
    for (const update of waiting) void this.start(update)
  }

  addFault(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 })
  }

  /**
   * Gives the update its update_id and sends it. Resolves when its first delivery attempt is done, or at once
   * when there is no webhook or a fault drops, delays or holds it.
   */
  enqueue(update: Omit<Update, 'update_id'>): Promise<void> {
    if (this.closing.signal.aborted) return Promise.resolve()
    const type = updateType(update)
    const allowed = this.webhook?.allowedUpdates?.length ? this.webhook.allowedUpdates : undefined
    if (type && (allowed ? !allowed.includes(type) : notSentByDefault.has(type))) return Promise.resolve()
    const full: Update = { update_id: this.nextUpdateId++, ...update }
    this.options.onUpdate(full)
    if (!this.webhook) {
      this.pending.push(full)
      return Promise.resolve()
    }
    return this.start(full)
  }

  private start(update: Update): Promise<void> {
    this.outstanding.add(update.update_id)
    const fault = this.takeFault(update)
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

  private takeFault(update: Update): Fault | undefined {
    const index = this.faults.findIndex((fault) => faultHits(fault, update))
    const fault = this.faults[index]
    if (!fault) return undefined
    if (--fault.remaining <= 0) this.faults.splice(index, 1)
    return fault
  }

  private send(update: Update, attempt: number, fault?: Fault['type'], copies = 1): Promise<void> {
    return this.track(async () => {
      const webhook = this.webhook
      if (!webhook) {
        // The webhook was removed meanwhile: Telegram keeps the update for the next one.
        this.outstanding.delete(update.update_id)
        this.pending.push(update)
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
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (webhook.secretToken) headers['x-telegram-bot-api-secret-token'] = webhook.secretToken
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(update),
        signal: AbortSignal.any([this.closing.signal, AbortSignal.timeout(webhookTimeoutMs)]),
      })
      const body = await response.text()
      this.record(update, attempt, response.status, fault)
      if (!response.ok) {
        this.fail(`Wrong response from the webhook: ${response.status} ${response.statusText}`)
        return false
      }
      this.webhookReply(body)
      return true
    } catch (error) {
      const message = networkErrorMessage(error)
      this.record(update, attempt, 0, fault, message)
      this.fail(message)
      return false
    }
  }

  private webhookReply(body: string): void {
    if (!body) return
    try {
      const { method, ...params } = JSON.parse(body) as Record<string, unknown>
      if (typeof method === 'string') this.options.onWebhookReply(method, params)
    } catch {
      // Not JSON: an ordinary webhook answer, nothing to execute.
    }
  }

  private fail(message: string): void {
    this.lastError = { date: Math.floor(Date.now() / 1000), message }
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

  /** Resolves when nothing is in flight or scheduled. Held (reordered) updates are sent first if nothing follows. */
  idle(): Promise<void> {
    if (this.closing.signal.aborted) return Promise.resolve()
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve)
      this.checkIdle()
    })
  }

  private checkIdle(): void {
    if (this.inFlight > 0 || this.idleWaiters.length === 0) return
    if (this.held.length > 0 && !this.closing.signal.aborted) {
      for (const update of this.held.splice(0)) void this.send(update, 1)
      return
    }
    for (const resolve of this.idleWaiters.splice(0)) resolve()
  }

  close(): void {
    this.closing.abort()
    // Each scheduled timer counted as work in flight; in-flight posts end through their aborted fetch.
    for (const timer of this.timers) clearTimeout(timer)
    this.inFlight -= this.timers.size
    this.timers.clear()
    this.held = []
    for (const resolve of this.idleWaiters.splice(0)) resolve()
  }
}
