// Bot API conformance: every call made to a simulator, every result it answered and every update it sent, as
// recorded to TMA_PAY_RECORD_DIR by the rest of the test run, must follow the Telegram Bot API spec
// (bot-api.json). Without recordings it records small flows of its own, so it always checks something.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  botApiSpec,
  createTelegramSimulator,
  type RecordedLine,
  validateMethodCall,
  validateObject,
  validateResult,
} from 'tma-pay/testing'
import { describe, expect, it } from 'vitest'

interface Recording {
  where: string
  line: RecordedLine
}

function readRecordings(dir: string | undefined): Recording[] {
  if (!dir) return []
  let files: string[]
  try {
    files = readdirSync(dir).filter((file) => file.endsWith('.jsonl'))
  } catch {
    return []
  }
  return files.flatMap((file) =>
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .flatMap((text, index) =>
        text ? [{ where: `${file}:${index + 1}`, line: JSON.parse(text) as RecordedLine }] : [],
      ),
  )
}

/** A payment, a refund and the reads around them, recorded by a simulator of our own. */
async function recordOwnFlow(): Promise<Recording[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tma-pay-conformance-'))
  const sim = await createTelegramSimulator({ recordDir: dir, retryDelaysMs: [20] })
  // The webhook answers pre-checkout queries in its response body (a "webhook reply"), as grammY can.
  const webhook = createServer(async (request, response) => {
    let body = ''
    for await (const chunk of request) body += chunk
    const query = JSON.parse(body).pre_checkout_query
    response.setHeader('content-type', 'application/json')
    response.end(
      query
        ? JSON.stringify({ method: 'answerPreCheckoutQuery', pre_checkout_query_id: query.id, ok: true })
        : '',
    )
  })
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve))
  const call = async (method: string, params: object = {}) => {
    const response = await fetch(`${sim.url}/bot${sim.botToken}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(params),
    })
    return ((await response.json()) as { result: unknown }).result
  }
  try {
    await call('getMe')
    await call('setWebhook', {
      url: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/`,
      secret_token: 's3cret',
    })
    const link = await call('createInvoiceLink', {
      title: 'Magic book',
      description: 'A book of spells',
      payload: 'ord_conformance',
      currency: 'XTR',
      prices: [{ label: 'Magic book', amount: 25 }],
    })
    const payment = await sim.pay(link as string, { userId: 1001 })
    expect(payment.outcome).toBe('paid')
    await call('getStarTransactions', { offset: 0, limit: 10 })
    await call('refundStarPayment', {
      user_id: 1001,
      telegram_payment_charge_id: payment.telegramPaymentChargeId,
    })
    await call('getWebhookInfo')
    await sim.idle()

    // A polling bot's chat: /start answered with a Mini App button, a chat invoice paid.
    await call('deleteWebhook')
    await call('getUpdates', { allowed_updates: ['message', 'pre_checkout_query'], timeout: 0 })
    await sim.sendMessage({ userId: 1002, text: '/start magic-book' })
    await call('sendMessage', {
      chat_id: 1002,
      text: '<b>Welcome</b> to the shop',
      parse_mode: 'HTML',
      reply_markup: { inline_keyboard: [[{ text: 'Open', web_app: { url: 'https://shop.example/' } }]] },
    })
    const invoice = (await call('sendInvoice', {
      chat_id: 1002,
      title: 'Magic book',
      description: 'A book of spells',
      payload: 'ord_conformance_chat',
      currency: 'XTR',
      prices: [{ label: 'Magic book', amount: 25 }],
    })) as { message_id: number }
    const paying = sim.payChatInvoice(invoice.message_id)
    const updates = (await call('getUpdates', { timeout: 5 })) as Array<{ update_id: number }>
    const pending = sim.pendingUpdates.find((update) => update.pre_checkout_query)
    await call('answerPreCheckoutQuery', { pre_checkout_query_id: pending?.pre_checkout_query?.id, ok: true })
    expect((await paying).outcome).toBe('paid')
    await call('getUpdates', { offset: (updates.at(-1)?.update_id ?? 0) + 1, timeout: 0 })
    return readRecordings(dir)
  } finally {
    await sim.close()
    await new Promise((resolve) => webhook.close(resolve))
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('Bot API conformance', () => {
  it('every recorded Bot API call and update follows the spec', async () => {
    let recordings = readRecordings(process.env.TMA_PAY_RECORD_DIR)
    if (recordings.length === 0) recordings = await recordOwnFlow()
    for (const kind of ['call', 'result', 'update']) {
      expect(recordings.filter(({ line }) => line.kind === kind).length, kind).toBeGreaterThan(0)
    }

    const problems = recordings.flatMap(({ where, line }) => {
      const found =
        line.kind === 'call'
          ? validateMethodCall(line.method, line.params)
          : line.kind === 'result'
            ? validateResult(line.method, line.result)
            : validateObject('Update', line.update)
      return found.map((problem) => `${where}: ${problem}`)
    })
    expect(problems).toEqual([])
  })
})

describe('the validator catches violations', () => {
  const invoice = {
    title: 'Magic book',
    description: 'A book of spells',
    payload: 'ord_01',
    currency: 'XTR',
    prices: [{ label: 'Magic book', amount: 50 }],
  }

  it('accepts a good call and knows the spec it checks against', () => {
    expect(validateMethodCall('createInvoiceLink', invoice)).toEqual([])
    expect(validateMethodCall('getMe', {})).toEqual([])
    expect(botApiSpec.version).toBe('Bot API 10.1')
    expect(botApiSpec.commit).toMatch(/^[0-9a-f]{40}$/)
  })

  it.each([
    ['title too long', { ...invoice, title: 'x'.repeat(33) }, /title must be 1-32 characters/],
    ['empty description', { ...invoice, description: '' }, /description must be 1-255 characters/],
    ['payload too long', { ...invoice, payload: 'x'.repeat(129) }, /payload must be 1-128 bytes/],
    ['unknown field', { ...invoice, amount: 50 }, /createInvoiceLink\.amount is not a field/],
    [
      'missing required field',
      { ...invoice, currency: undefined },
      /createInvoiceLink\.currency is required/,
    ],
    ['wrong primitive type', { ...invoice, title: 42 }, /title must be String/],
    ['nested type', { ...invoice, prices: [{ label: 'x' }] }, /prices\[0\]\.amount is required/],
    ['two Stars prices', { ...invoice, prices: [invoice.prices[0], invoice.prices[0]] }, /one item for XTR/],
    ['provider token with Stars', { ...invoice, provider_token: 'x' }, /provider_token must be empty/],
    ['card payment without provider', { ...invoice, currency: 'USD' }, /provider_token is required/],
    [
      'subscription period',
      { ...invoice, subscription_period: 604800 },
      /subscription_period must be 2592000/,
    ],
    [
      'subscription not in Stars',
      { ...invoice, currency: 'EUR', provider_token: 't', subscription_period: 2592000 },
      /needs currency XTR/,
    ],
  ])('createInvoiceLink: %s', (_name, params, expected) => {
    expect(validateMethodCall('createInvoiceLink', params).join('\n')).toMatch(expected)
  })

  it('checks the other methods we call', () => {
    expect(
      validateMethodCall('setWebhook', { url: 'https://x.example/', secret_token: 'bad secret!' }),
    ).toEqual(['setWebhook: secret_token must be 1-256 characters of A-Z, a-z, 0-9, _ and -'])
    expect(
      validateMethodCall('setWebhook', { url: 'https://x.example/', secret_token: 'a'.repeat(257) }),
    ).toHaveLength(1)
    expect(validateMethodCall('setWebhook', { url: 'https://x.example/', secret_token: 'Ok_-9' })).toEqual([])
    expect(validateMethodCall('getStarTransactions', { limit: 0 })).toEqual([
      'getStarTransactions: limit must be 1-100, got 0',
    ])
    expect(validateMethodCall('getStarTransactions', { limit: 100, offset: 0 })).toEqual([])
    expect(validateMethodCall('answerPreCheckoutQuery', { pre_checkout_query_id: '1', ok: false })).toEqual([
      'answerPreCheckoutQuery: error_message is required when ok is false',
    ])
    expect(
      validateMethodCall('refundStarPayment', { user_id: '1', telegram_payment_charge_id: 'stx' }),
    ).toEqual(['refundStarPayment.user_id must be Integer, got string "1"'])
    expect(validateMethodCall('sendMessage', { chat_id: '@channel', text: 'hi' })).toEqual([])
    expect(validateMethodCall('sendPhoto', {})).toEqual(['unknown method sendPhoto'])
  })

  it('checks the limits of the chat and polling methods', () => {
    expect(validateMethodCall('getUpdates', { limit: 101 })).toEqual([
      'getUpdates: limit must be 1-100, got 101',
    ])
    expect(
      validateMethodCall('getUpdates', { offset: -1, limit: 100, timeout: 30, allowed_updates: [] }),
    ).toEqual([])
    const message = { chat_id: 1, text: 'x'.repeat(4096) }
    expect(validateMethodCall('sendMessage', message)).toEqual([])
    expect(validateMethodCall('sendMessage', { ...message, text: `${message.text}x` })).toEqual([
      'sendMessage: text after entities parsing must be 1-4096 characters, got 4097',
    ])
    // Markup does not count, and what is left after parsing must not be empty.
    expect(
      validateMethodCall('sendMessage', { ...message, text: `<i>${message.text}</i>`, parse_mode: 'HTML' }),
    ).toEqual([])
    expect(
      validateMethodCall('sendMessage', { chat_id: 1, text: '<b></b>', parse_mode: 'HTML' }),
    ).toHaveLength(1)
    expect(
      validateMethodCall('sendMessage', { chat_id: 1, text: '<b>open', parse_mode: 'HTML' }).join(),
    ).toMatch(/can't parse entities: Can't find end tag corresponding to start tag "b"/)
    const keyboard = { inline_keyboard: [[{ text: 'Shop', web_app: { url: 'https://x.example/' } }]] }
    expect(validateMethodCall('sendMessage', { chat_id: 1, text: 'x', reply_markup: keyboard })).toEqual([])
    expect(
      validateMethodCall('sendMessage', {
        chat_id: 1,
        text: 'x',
        reply_markup: { inline_keyboard: [[{ web_app: {} }]] },
      }).join(),
    ).toMatch(/text is required/)

    const chatInvoice = { ...invoice, chat_id: 1 }
    expect(validateMethodCall('sendInvoice', chatInvoice)).toEqual([])
    expect(validateMethodCall('sendInvoice', { ...chatInvoice, prices: [] }).join()).toMatch(
      /prices must not be empty/,
    )
    expect(validateMethodCall('sendInvoice', { ...chatInvoice, suggested_tip_amounts: [5] }).join()).toMatch(
      /suggested_tip_amounts is not supported for currency XTR/,
    )
    const card = { ...chatInvoice, currency: 'EUR', provider_token: '1:TEST:x', max_tip_amount: 100 }
    expect(validateMethodCall('sendInvoice', { ...card, suggested_tip_amounts: [10, 50] })).toEqual([])
    expect(validateMethodCall('sendInvoice', { ...card, suggested_tip_amounts: [50, 10] }).join()).toMatch(
      /strictly increasing/,
    )
    expect(validateMethodCall('sendInvoice', { ...card, suggested_tip_amounts: [10, 500] }).join()).toMatch(
      /must not exceed max_tip_amount/,
    )
  })

  it("checks a method's result against its return type", () => {
    const message = { message_id: 1, date: 1, chat: { id: 1, type: 'private' }, text: 'hi' }
    expect(validateResult('sendMessage', message)).toEqual([])
    expect(validateResult('sendMessage', { ...message, message_id: undefined })).toEqual([
      'sendMessage result.message_id is required',
    ])
    expect(validateResult('getUpdates', [{ update_id: 1, message }])).toEqual([])
    expect(validateResult('getUpdates', [{ message }])).toEqual([
      'getUpdates result[0].update_id is required',
    ])
    expect(validateResult('setWebhook', 'yes')).toEqual([
      'setWebhook result must be Boolean, got string "yes"',
    ])
    expect(
      validateResult('getWebhookInfo', { url: '', has_custom_certificate: false, pending_update_count: 0 }),
    ).toEqual([])
  })

  it('checks updates field by field, into nested types', () => {
    const user = { id: 1, is_bot: false, first_name: 'Ann' }
    const paid = {
      update_id: 1,
      message: {
        message_id: 1,
        date: 1,
        chat: { id: 1, type: 'private' },
        from: user,
        successful_payment: {
          currency: 'XTR',
          total_amount: 5,
          invoice_payload: 'p',
          telegram_payment_charge_id: 'stx1',
          provider_payment_charge_id: '1_1',
        },
      },
    }
    expect(validateObject('Update', paid)).toEqual([])
    expect(validateObject('Update', { ...paid, update_id: undefined })).toEqual([
      'Update.update_id is required',
    ])
    expect(validateObject('Update', { ...paid, pre_checkout: {} })).toEqual([
      'Update.pre_checkout is not a field of the spec',
    ])
    const badPayment = { ...paid.message.successful_payment, total_amount: 1.5, charge_id: 'x' }
    expect(
      validateObject('Update', { ...paid, message: { ...paid.message, successful_payment: badPayment } }),
    ).toEqual([
      'Update.message.successful_payment.charge_id is not a field of the spec',
      'Update.message.successful_payment.total_amount must be Integer, got number',
    ])
    const transaction = { id: 'stx1', amount: 5, date: 1 }
    const source = { type: 'user', transaction_type: 'invoice_payment', user }
    expect(validateObject('StarTransaction', { ...transaction, source })).toEqual([])
    expect(
      validateObject('StarTransaction', { ...transaction, source: { ...source, user: {} } }).join(),
    ).toMatch(/source\.user\.id is required/)
    expect(validateObject('StarTransaction', { ...transaction, source: { type: 'stranger' } })).toEqual([
      'StarTransaction.source.type must be one of user, chat, affiliate_program, fragment, telegram_ads, telegram_api, other',
    ])
    expect(validateObject('Update', 'not an object')).toEqual([
      'Update must be a Update (an object), got string "not an object"',
    ])
  })
})
