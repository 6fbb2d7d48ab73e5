#!/usr/bin/env node
// Makes src/testing/spec/bot-api.json: the part of the Telegram Bot API spec (PaulSonOfLars/telegram-bot-api-spec,
// MIT) that tma-pay calls and receives. The trimmed copy is committed so tests run on a clone without ../shared.
//
//   node scripts/trim-bot-api-spec.mjs [path/to/api.json]
//
// Default input: ../shared/telegram-bot-api/api.json relative to the repo root. The spec's commit is read from
// the README.md beside it, and its LICENSE is copied to src/testing/spec/LICENSE-bot-api-spec.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const inputPath = resolve(repoRoot, process.argv[2] ?? '../shared/telegram-bot-api/api.json')
const outputDir = join(repoRoot, 'src/testing/spec')

const methodNames = [
  'getMe',
  'setWebhook',
  'deleteWebhook',
  'getWebhookInfo',
  'getUpdates',
  'createInvoiceLink',
  'sendInvoice',
  'answerPreCheckoutQuery',
  'refundStarPayment',
  'getStarTransactions',
  'editUserStarSubscription',
  'sendMessage',
]

const typeNames = [
  'Update',
  'Message',
  'User',
  'Chat',
  'PreCheckoutQuery',
  'SuccessfulPayment',
  'RefundedPayment',
  'LabeledPrice',
  'StarTransactions',
  'StarTransaction',
  'TransactionPartner',
  'StarAmount',
  'WebhookInfo',
  'OrderInfo',
  'ShippingAddress',
  'ResponseParameters',
  // Chat messages: a user's commands, the bot's answers with a Mini App button, chat invoices.
  'MessageEntity',
  'Invoice',
  'InlineKeyboardMarkup',
  'InlineKeyboardButton',
  'WebAppInfo',
  'LoginUrl',
  'CopyTextButton',
  // The other kinds of sendMessage.reply_markup: kept so a broken inline keyboard is not taken for one of them.
  'ReplyKeyboardMarkup',
  'KeyboardButton',
  'ReplyKeyboardRemove',
  'ForceReply',
  'ReplyParameters',
  'LinkPreviewOptions',
]

const spec = JSON.parse(readFileSync(inputPath, 'utf8'))

function pick(kind, table, names) {
  const picked = {}
  for (const name of names) {
    const entry = table[name]
    if (!entry) throw new Error(`${kind} ${name} is not in ${inputPath}`)
    picked[name] = entry
  }
  return picked
}

const types = pick('type', spec.types, typeNames)
// A union type is only useful with its members, so keep every subtype the spec lists for it.
for (const entry of Object.values({ ...types })) {
  for (const subtype of entry.subtypes ?? []) {
    if (!types[subtype]) Object.assign(types, pick('type', spec.types, [subtype]))
  }
}

// The JSON spec carries no provenance of its own; the README beside it names the commit it was built from.
const readmePath = join(dirname(inputPath), 'README.md')
const commit = existsSync(readmePath)
  ? (readFileSync(readmePath, 'utf8').match(/commit ([0-9a-f]{40})/)?.[1] ?? 'unknown')
  : 'unknown'

const trimmed = {
  source: 'https://github.com/PaulSonOfLars/telegram-bot-api-spec',
  commit,
  version: spec.version,
  release_date: spec.release_date,
  license: 'MIT (c) PaulSonOfLars/telegram-bot-api-spec, see LICENSE in the spec repo',
  generatedBy: 'scripts/trim-bot-api-spec.mjs',
  methods: pick('method', spec.methods, methodNames),
  types,
}

mkdirSync(outputDir, { recursive: true })
writeFileSync(join(outputDir, 'bot-api.json'), `${JSON.stringify(trimmed, null, 2)}\n`)

const licensePath = join(dirname(inputPath), 'LICENSE')
// Copy the text, not the file: copyFileSync would carry over a read-only mode and block the next run.
if (existsSync(licensePath)) writeFileSync(join(outputDir, 'LICENSE-bot-api-spec'), readFileSync(licensePath))
else console.warn(`no LICENSE beside ${inputPath}; src/testing/spec/LICENSE-bot-api-spec left as it was`)

console.log(
  `wrote src/testing/spec/bot-api.json: ${spec.version} (${commit.slice(0, 12)}), ` +
    `${methodNames.length} methods, ${Object.keys(types).length} types`,
)
