// Where the simulator's updates go, as Telegram decides it: allowed_updates (one setting per bot, from setWebhook
// or getUpdates), getWebhookInfo's fields, updates moving between a webhook and the getUpdates queue, and
// faults on polled updates.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { botApiSpec, type TelegramSimulator, validateObject } from 'tma-pay/testing'
import { describe, expect, it } from 'vitest'
import { callApi, startSimulator, startWebhook } from './helpers/simulator'

const webhookInfo = async (sim: TelegramSimulator) => (await callApi(sim, 'getWebhookInfo')).body.result
const polledTexts = async (sim: TelegramSimulator, params: object = {}) =>
  (await callApi(sim, 'getUpdates', params)).body.result.map(
    (update: { message?: { text?: string } }) => update.message?.text ?? Object.keys(update)[1],
  )

async function invoiceLink(sim: TelegramSimulator): Promise<string> {
  const { body } = await callApi(sim, 'createInvoiceLink', {
    title: 'Book',
    description: 'A book',
    payload: 'ord_1',
    currency: 'XTR',
    prices: [{ label: 'Book', amount: 5 }],
  })
  return body.result
}

describe('allowed_updates', () => {
  it('is kept from getUpdates, applies to updates made after it, and [] resets it', async () => {
    const sim = await startSimulator({ preCheckoutTimeoutMs: 50 })
    await sim.sendMessage({ userId: 1, text: 'before' })
    expect(await polledTexts(sim, { allowed_updates: ['pre_checkout_query'] })).toEqual(['before'])
    expect((await webhookInfo(sim)).allowed_updates).toEqual(['pre_checkout_query'])

    await sim.sendMessage({ userId: 1, text: 'not allowed' })
    expect((await sim.pay(await invoiceLink(sim), { userId: 1 })).outcome).toBe('no_answer')
    // Omitted: the previous setting stays.
    expect(await polledTexts(sim)).toEqual(['before', 'pre_checkout_query'])

    await polledTexts(sim, { allowed_updates: [] })
    expect(await webhookInfo(sim)).not.toHaveProperty('allowed_updates')
    await sim.sendMessage({ userId: 1, text: 'allowed again' })
    expect(await polledTexts(sim)).toContain('allowed again')
  })

  it('is kept from setWebhook, and the webhook gets only those types', async () => {
    const sim = await startSimulator()
    const webhook = await startWebhook()
    await callApi(sim, 'setWebhook', { url: webhook.url, allowed_updates: ['pre_checkout_query', 'message'] })
    // Telegram lists them in its own order, the spec's order of Update fields.
    expect((await webhookInfo(sim)).allowed_updates).toEqual(['message', 'pre_checkout_query'])
    await callApi(sim, 'setWebhook', { url: webhook.url, allowed_updates: ['pre_checkout_query'] })
    await sim.sendMessage({ userId: 2, text: 'unseen' })
    await sim.idle()
    expect(webhook.received).toEqual([])
    await callApi(sim, 'setWebhook', { url: webhook.url })
    expect((await webhookInfo(sim)).allowed_updates).toEqual(['pre_checkout_query'])
  })
})

describe('getWebhookInfo', () => {
  it('has the spec fields: the last error of a failing webhook, and no webhook fields without one', async () => {
    const sim = await startSimulator({ retryDelaysMs: [] })
    const webhook = await startWebhook(() => 502)
    await callApi(sim, 'setWebhook', {
      url: webhook.url,
      max_connections: 5,
      allowed_updates: ['message', 'pre_checkout_query'],
    })
    const before = Math.floor(Date.now() / 1000)
    await sim.sendMessage({ userId: 3, text: 'hi' })
    await sim.idle()

    const info = await webhookInfo(sim)
    expect(info).toEqual({
      url: webhook.url,
      has_custom_certificate: false,
      pending_update_count: 0,
      last_error_date: expect.any(Number),
      last_error_message: 'Wrong response from the webhook: 502 Bad Gateway',
      max_connections: 5,
      ip_address: '127.0.0.1',
      allowed_updates: ['message', 'pre_checkout_query'],
    })
    expect(info.last_error_date).toBeGreaterThanOrEqual(before)
    expect(validateObject('WebhookInfo', info)).toEqual([])
    const specFields = botApiSpec.types.WebhookInfo!.fields!.map((field) => field.name)
    expect(Object.keys(info).every((key) => specFields.includes(key))).toBe(true)

    // The same webhook again changes nothing and keeps the error; deleting it forgets it.
    await callApi(sim, 'setWebhook', { url: webhook.url, max_connections: 5 })
    expect(await webhookInfo(sim)).toHaveProperty('last_error_message')
    await callApi(sim, 'deleteWebhook')
    expect(await webhookInfo(sim)).toEqual({
      url: '',
      has_custom_certificate: false,
      pending_update_count: 0,
      allowed_updates: ['message', 'pre_checkout_query'],
    })
  })

  it('reports a network error, and counts updates waiting for getUpdates as pending', async () => {
    const sim = await startSimulator({ retryDelaysMs: [] })
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const { port } = probe.address() as AddressInfo
    await new Promise((resolve) => probe.close(resolve))
    await callApi(sim, 'setWebhook', { url: `http://127.0.0.1:${port}/nothing-listens` })
    await sim.sendMessage({ userId: 3, text: 'lost' })
    await sim.idle()
    expect((await webhookInfo(sim)).last_error_message).toMatch(/ECONNREFUSED/)
    await callApi(sim, 'deleteWebhook')
    await sim.sendMessage({ userId: 3, text: 'one' })
    await sim.sendMessage({ userId: 3, text: 'two' })
    expect((await webhookInfo(sim)).pending_update_count).toBe(2)
  })
})

describe('between a webhook and getUpdates', () => {
  it('keeps an update whose webhook was removed mid-retry for getUpdates', async () => {
    const sim = await startSimulator({ retryDelaysMs: [30] })
    const webhook = await startWebhook(() => 500)
    await callApi(sim, 'setWebhook', { url: webhook.url })
    await sim.sendMessage({ userId: 4, text: 'retried' })
    expect(webhook.received).toHaveLength(1)
    await callApi(sim, 'deleteWebhook')
    await sim.idle()
    expect(await polledTexts(sim)).toEqual(['retried'])
  })

  it('hands queued updates to a webhook set later, and drop_pending_updates drops them', async () => {
    const sim = await startSimulator()
    await sim.sendMessage({ userId: 4, text: 'queued' })
    const webhook = await startWebhook()
    await callApi(sim, 'setWebhook', { url: webhook.url })
    await sim.idle()
    expect(webhook.received.map((update) => update.message?.text)).toEqual(['queued'])
    await callApi(sim, 'deleteWebhook')
    await sim.sendMessage({ userId: 4, text: 'dropped' })
    await callApi(sim, 'deleteWebhook', { drop_pending_updates: true })
    expect(sim.pendingUpdates).toEqual([])
    expect(await polledTexts(sim)).toEqual([])
  })
})

describe('faults on polled updates', () => {
  it('drop: the update never comes, though it is recorded as dropped', async () => {
    const sim = await startSimulator()
    sim.fault({ type: 'drop' })
    await sim.sendMessage({ userId: 6, text: 'lost' })
    await sim.sendMessage({ userId: 6, text: 'kept' })
    expect(await polledTexts(sim)).toEqual(['kept'])
    expect(sim.deliveries).toMatchObject([
      { fault: 'drop', status: 0, update: { message: { text: 'lost' } } },
    ])
  })

  it('duplicate: the copies come in one answer, and one offset confirms them all', async () => {
    const sim = await startSimulator()
    sim.fault({ type: 'duplicate', count: 3 })
    await sim.sendMessage({ userId: 6, text: 'twice' })
    const { body } = await callApi(sim, 'getUpdates')
    expect(body.result).toHaveLength(3)
    expect(new Set(body.result.map((update: { update_id: number }) => update.update_id)).size).toBe(1)
    expect(await polledTexts(sim, { offset: body.result[0].update_id + 1 })).toEqual([])
  })

  it('delay and reorder: the update is made late, so update_ids stay in the order the bot sees them', async () => {
    const sim = await startSimulator()
    sim.fault({ type: 'delay', ms: 30 })
    await sim.sendMessage({ userId: 6, text: 'late' })
    expect(sim.pendingUpdates).toEqual([])
    await sim.idle()
    sim.fault({ type: 'reorder' })
    await sim.sendMessage({ userId: 6, text: 'first' })
    await sim.sendMessage({ userId: 6, text: 'second' })
    const { body } = await callApi(sim, 'getUpdates')
    expect(body.result.map((update: { message: { text: string } }) => update.message.text)).toEqual([
      'late',
      'second',
      'first',
    ])
    const ids = body.result.map((update: { update_id: number }) => update.update_id)
    expect(ids).toEqual([...ids].sort((a, b) => a - b))
  })
})
