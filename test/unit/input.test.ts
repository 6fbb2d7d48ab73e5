// Unit tests of the server's input edge: pure functions, no server. test/unit/ is where tests of internals
// live; they import src/ directly, unlike the rest of test/, which imports the public entry points.
import { describe, expect, it } from 'vitest'
import { PayError } from '../../src/core/errors'
import { parseUserIdQuery } from '../../src/server/admin-input'
import {
  isStorableText,
  METADATA_MAX_BYTES,
  parseClientStatusBody,
  parseCreateOrderBody,
  parseIdempotencyKey,
  parseLastEventId,
  parseListQuery,
  parseOrderId,
} from '../../src/server/input'
import { parseTelegramUpdate } from '../../src/server/telegram/update'

const refused = (work: () => unknown) => {
  try {
    work()
  } catch (error) {
    return error instanceof PayError ? error.code : `not a PayError: ${error}`
  }
  return 'accepted'
}

describe('isStorableText', () => {
  it('takes well-formed text, astral characters and line separators', () => {
    for (const text of ['', 'plain', 'emoji 😀', '\u2028\u2029', 'tab\tand\nnewline', '\ud83d\ude00'])
      expect(isStorableText(text)).toBe(true)
  })
  it('refuses U+0000 and lone surrogates anywhere', () => {
    for (const text of ['\u0000', 'a\u0000', '\ud800', 'a\udfffb', '\ud83d', 'x\ude00', '\ude00\ud83d'])
      expect({ text, ok: isStorableText(text) }).toEqual({ text, ok: false })
  })
})

describe('parseCreateOrderBody', () => {
  it('defaults quantity and metadata, and ignores a client-sent amount', () => {
    expect(parseCreateOrderBody({ productId: 'gem', amount: 1 })).toEqual({
      productId: 'gem',
      quantity: 1,
      metadata: {},
    })
  })
  it('refuses quantities that are not integers of the column, and metadata beyond its limits', () => {
    for (const body of [
      { productId: 'gem', quantity: 0 },
      { productId: 'gem', quantity: 2 ** 31 },
      { productId: 'gem', quantity: 1.5 },
      { productId: 'gem', metadata: { a: 1 } },
      { productId: 'gem', metadata: { ['k'.repeat(41)]: 'v' } },
      { productId: 'gem', metadata: { k: 'v'.repeat(501) } },
      {
        productId: 'gem',
        metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])),
      },
      {
        productId: 'gem',
        metadata: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, 'é'.repeat(300)])),
      },
      { productId: '' },
      null,
      [],
    ])
      expect({ body, code: refused(() => parseCreateOrderBody(body)) }).toEqual({
        body,
        code: 'validation_failed',
      })
  })
  it('caps metadata at METADATA_MAX_BYTES of UTF-8 JSON', () => {
    // Values of 500 characters, the last one cut so that the JSON is exactly `bytes` long.
    const ofSize = (bytes: number) => {
      const metadata = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, 'v'.repeat(500)]))
      metadata.k8 = 'v'.repeat(500 - (JSON.stringify(metadata).length - bytes))
      expect(new TextEncoder().encode(JSON.stringify(metadata)).length).toBe(bytes)
      return { productId: 'gem', metadata }
    }
    expect(refused(() => parseCreateOrderBody(ofSize(METADATA_MAX_BYTES)))).toBe('accepted')
    expect(refused(() => parseCreateOrderBody(ofSize(METADATA_MAX_BYTES + 1)))).toBe('validation_failed')
  })
})

describe('query and header parsing', () => {
  it('reads list queries, refusing dates outside 0001-9999', () => {
    expect(parseListQuery({ status: 'paid', limit: '5', created_gte: '2026-01-01' })).toEqual({
      status: 'paid',
      limit: 5,
      createdGte: '2026-01-01T00:00:00.000Z',
    })
    for (const created_lte of ['0000-01-01', '+275760-09-13', '-000001-01-01', 'soon'])
      expect(refused(() => parseListQuery({ created_lte }))).toBe('validation_failed')
    expect(refused(() => parseListQuery({ limit: '101' }))).toBe('validation_failed')
  })
  it('takes only well-formed order ids from paths, as 404s', () => {
    expect(parseOrderId('ord_01M8RDG1K4838MT5XNK4J3JEXX')).toBe('ord_01M8RDG1K4838MT5XNK4J3JEXX')
    for (const id of ['ord_\u0000', 'ord_x', undefined, '../admin'])
      expect(refused(() => parseOrderId(id))).toBe('not_found')
  })
  it('reads the other small inputs', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined()
    expect(refused(() => parseIdempotencyKey('has space'))).toBe('validation_failed')
    expect(parseLastEventId('12')).toBe(12)
    expect(refused(() => parseLastEventId('-1'))).toBe('validation_failed')
    expect(parseUserIdQuery('42')).toBe(42)
    expect(refused(() => parseUserIdQuery('0'))).toBe('validation_failed')
    expect(parseClientStatusBody({ status: 'cancelled' })).toBe('cancelled')
    expect(refused(() => parseClientStatusBody({ status: 'won' }))).toBe('validation_failed')
  })
})

describe('parseTelegramUpdate', () => {
  const payment = {
    currency: 'XTR',
    total_amount: 5,
    invoice_payload: 'ord_x',
    telegram_payment_charge_id: 'stx1',
    provider_payment_charge_id: '',
  }
  const message = (successful_payment: unknown) => ({
    update_id: 1,
    message: {
      message_id: 1,
      date: 1,
      chat: { id: 7, type: 'private' },
      from: { id: 7 },
      successful_payment,
    },
  })
  it('passes updates tma-pay does not read through as they are', () => {
    const update = { update_id: 3, callback_query: { id: 'q' } }
    expect(parseTelegramUpdate(update)).toBe(update)
  })
  it('checks every part of a payment it reads', () => {
    expect(refused(() => parseTelegramUpdate(message(payment)))).toBe('accepted')
    for (const broken of [
      { ...payment, total_amount: '5' },
      { ...payment, telegram_payment_charge_id: '' },
      { ...payment, invoice_payload: 'ord\u0000' },
      { ...payment, subscription_expiration_date: 1e15 },
      'paid',
    ])
      expect(refused(() => parseTelegramUpdate(message(broken)))).toBe('validation_failed')
    expect(refused(() => parseTelegramUpdate({ update_id: -1 }))).toBe('validation_failed')
    expect(refused(() => parseTelegramUpdate({ update_id: 1, pre_checkout_query: { id: 'q' } }))).toBe(
      'validation_failed',
    )
  })
})
