// Checks Bot API calls and objects against the trimmed Telegram Bot API spec (bot-api.json, made by
// scripts/trim-bot-api-spec.mjs). The spec gives field names, types and required flags; the limits that
// live only in the prose descriptions (lengths, ranges, Stars rules) are written out in `methodLimits` below.
import botApiSpecJson from './bot-api.json' with { type: 'json' }
import { parseFormattedText } from './formatting'

export interface BotApiSpecField {
  name: string
  types: string[]
  required: boolean
  description: string
}

export interface BotApiSpecEntry {
  name: string
  href: string
  description?: string[]
  fields?: BotApiSpecField[]
  returns?: string[]
  subtypes?: string[]
  subtype_of?: string[]
}

export interface BotApiSpec {
  source: string
  commit: string
  version: string
  release_date: string
  license: string
  generatedBy: string
  methods: Record<string, BotApiSpecEntry>
  types: Record<string, BotApiSpecEntry>
}

export const botApiSpec: BotApiSpec = botApiSpecJson

const hasOwn = (table: object, key: string) => Object.hasOwn(table, key)

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Problems with a Bot API call: unknown method, missing/unknown fields, wrong types, documented limits. */
export function validateMethodCall(method: string, params: Record<string, unknown>): string[] {
  if (!hasOwn(botApiSpec.methods, method)) return [`unknown method ${method}`]
  const entry = botApiSpec.methods[method]!
  const problems = checkFields(entry.fields ?? [], params, method)
  // Limits read typed values, so only run them on a call whose fields have the right types.
  if (problems.length === 0)
    problems.push(...(methodLimits[method]?.(params) ?? []).map((p) => `${method}: ${p}`))
  return problems
}

/** Problems with an object of a Bot API type (an Update the simulator sends, say), recursing into nested types. */
export function validateObject(typeName: string, value: unknown): string[] {
  if (!hasOwn(botApiSpec.types, typeName)) return [`unknown type ${typeName}`]
  return checkType(typeName, value, typeName)
}

/** Problems with what a method answered (its `result`), against the spec's return type. */
export function validateResult(method: string, result: unknown): string[] {
  if (!hasOwn(botApiSpec.methods, method)) return [`unknown method ${method}`]
  const returns = botApiSpec.methods[method]!.returns ?? []
  return checkAlternatives(returns, result, `${method} result`)
}

function checkFields(fields: BotApiSpecField[], value: Record<string, unknown>, path: string): string[] {
  const problems: string[] = []
  const known = new Set(fields.map((field) => field.name))
  for (const key of Object.keys(value)) {
    if (!known.has(key)) problems.push(`${path}.${key} is not a field of the spec`)
  }
  for (const field of fields) {
    // undefined is how JavaScript callers leave a field out; JSON never carries it.
    const fieldValue = value[field.name]
    if (fieldValue === undefined) {
      if (field.required) problems.push(`${path}.${field.name} is required`)
      continue
    }
    problems.push(...checkAlternatives(field.types, fieldValue, `${path}.${field.name}`))
  }
  return problems
}

// A value passes if it matches any of the alternatives, as in "Integer or String".
function checkAlternatives(alternatives: string[], value: unknown, path: string): string[] {
  let best: string[] | undefined
  for (const typeName of alternatives) {
    const problems = checkType(typeName, value, path)
    if (problems.length === 0) return []
    if (!best || problems.length < best.length) best = problems
  }
  if (alternatives.length === 1 || !best) return best ?? []
  return [`${path} must be ${alternatives.join(' or ')}: ${best.join('; ')}`]
}

function checkType(typeName: string, value: unknown, path: string): string[] {
  const arrayOf = /^Array of (.+)$/.exec(typeName)
  if (arrayOf) {
    if (!Array.isArray(value)) return [`${path} must be an ${typeName}`]
    return value.flatMap((item, index) => checkType(arrayOf[1]!, item, `${path}[${index}]`))
  }
  const primitive = primitiveChecks[typeName]
  if (primitive) return primitive(value) ? [] : [`${path} must be ${typeName}, got ${describe(value)}`]
  // A type we did not keep: the field name was checked by the caller, its value is not ours to judge.
  if (!hasOwn(botApiSpec.types, typeName)) return []
  const entry = botApiSpec.types[typeName]!
  if (entry.subtypes) return checkUnion(entry.subtypes, value, path)
  if (!isPlainObject(value)) return [`${path} must be a ${typeName} (an object), got ${describe(value)}`]
  return checkFields(entry.fields ?? [], value, path)
}

// A union's members say which they are in their `type` field, documented as 'always "user"' and the like.
function discriminator(typeName: string): string | undefined {
  const typeField = botApiSpec.types[typeName]?.fields?.find((field) => field.name === 'type')
  return typeField && /always ["“]([^"”]+)["”]/.exec(typeField.description)?.[1]
}

function checkUnion(subtypes: string[], value: unknown, path: string): string[] {
  const tag = isPlainObject(value) ? value.type : undefined
  const tagged = subtypes.find((subtype) => discriminator(subtype) === tag)
  if (tagged) return checkType(tagged, value, path)
  const tags = subtypes.map(discriminator)
  if (isPlainObject(value) && tags.every(Boolean)) return [`${path}.type must be one of ${tags.join(', ')}`]
  return checkAlternatives(subtypes, value, path)
}

const primitiveChecks: Record<string, (value: unknown) => boolean> = {
  String: (value) => typeof value === 'string',
  Integer: (value) => Number.isSafeInteger(value),
  Float: (value) => typeof value === 'number' && Number.isFinite(value),
  Boolean: (value) => typeof value === 'boolean',
  True: (value) => value === true,
  // Uploads are multipart or a file_id/URL string; the simulator takes neither, so accept what came.
  InputFile: (value) => value !== null,
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string')
    return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`
  return typeof value
}

const characters = (text: string) => [...text].length
const utf8Bytes = (text: string) => new TextEncoder().encode(text).length

function lengthProblem(name: string, value: unknown, min: number, max: number, unit: 'characters' | 'bytes') {
  if (typeof value !== 'string') return []
  const length = unit === 'bytes' ? utf8Bytes(value) : characters(value)
  return length >= min && length <= max ? [] : [`${name} must be ${min}-${max} ${unit}, got ${length}`]
}

function rangeProblem(name: string, value: unknown, min: number, max: number) {
  if (typeof value !== 'number') return []
  if (value >= min && value <= max) return []
  return [`${name} must be ${max === Infinity ? `at least ${min}` : `${min}-${max}`}, got ${value}`]
}

/** The subscription period Telegram accepts (30 days), and the most a subscription may cost. */
export const STAR_SUBSCRIPTION_PERIOD = 2592000
export const MAX_STAR_SUBSCRIPTION_PRICE = 10000

/** What an invoice must be, for createInvoiceLink and sendInvoice alike (their fields' descriptions). */
function invoiceLimits(params: Record<string, unknown>): string[] {
  const problems = [
    ...lengthProblem('title', params.title, 1, 32, 'characters'),
    ...lengthProblem('description', params.description, 1, 255, 'characters'),
    ...lengthProblem('payload', params.payload, 1, 128, 'bytes'),
  ]
  const prices = (params.prices ?? []) as Array<{ amount: number }>
  if (prices.length === 0) problems.push('prices must not be empty')
  const tips = (params.suggested_tip_amounts ?? []) as number[]
  if (params.currency === 'XTR') {
    if (params.provider_token) problems.push('provider_token must be empty or absent for currency XTR')
    if (prices.length !== 1) problems.push(`prices must have one item for XTR, got ${prices.length}`)
    if (prices.some((price) => price.amount < 1)) problems.push('prices amounts must be positive for XTR')
    if (params.max_tip_amount) problems.push('max_tip_amount is not supported for currency XTR')
    if (tips.length > 0) problems.push('suggested_tip_amounts is not supported for currency XTR')
  } else if (!params.provider_token) {
    problems.push(`provider_token is required for currency ${String(params.currency)} (XTR needs none)`)
  }
  if (tips.length > 4) problems.push(`suggested_tip_amounts must have at most 4 items, got ${tips.length}`)
  const increasing = tips.every((tip, index) => tip > 0 && (index === 0 || tip > tips[index - 1]!))
  if (!increasing) problems.push('suggested_tip_amounts must be positive and strictly increasing')
  const maxTip = typeof params.max_tip_amount === 'number' ? params.max_tip_amount : 0
  if (tips.some((tip) => tip > maxTip)) problems.push('suggested_tip_amounts must not exceed max_tip_amount')
  return problems
}

// Limits from the spec's descriptions, for the methods and fields tma-pay uses.
const methodLimits: Record<string, (params: Record<string, unknown>) => string[]> = {
  createInvoiceLink(params) {
    const problems = invoiceLimits(params)
    const prices = (params.prices ?? []) as Array<{ amount: number }>
    if (params.subscription_period !== undefined) {
      if (params.subscription_period !== STAR_SUBSCRIPTION_PERIOD) {
        problems.push(
          `subscription_period must be ${STAR_SUBSCRIPTION_PERIOD}, got ${params.subscription_period}`,
        )
      }
      if (params.currency !== 'XTR') problems.push('subscription_period needs currency XTR')
      if (prices.some((price) => price.amount > MAX_STAR_SUBSCRIPTION_PRICE)) {
        problems.push(`subscription price must not exceed ${MAX_STAR_SUBSCRIPTION_PRICE} Stars`)
      }
    }
    return problems
  },
  sendInvoice(params) {
    const problems = invoiceLimits(params)
    // "If not empty, the first button must be a Pay button."
    const rows = (params.reply_markup as { inline_keyboard?: Array<Array<{ pay?: boolean }>> } | undefined)
      ?.inline_keyboard
    if (rows?.some((row) => row.length > 0) && rows[0]?.[0]?.pay !== true) {
      problems.push('reply_markup: the first button must be a Pay button (pay: true)')
    }
    return problems
  },
  answerPreCheckoutQuery(params) {
    return params.ok === false && !params.error_message ? ['error_message is required when ok is false'] : []
  },
  setWebhook(params) {
    const problems = rangeProblem('max_connections', params.max_connections, 1, 100)
    const secret = params.secret_token
    if (typeof secret === 'string' && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
      problems.push('secret_token must be 1-256 characters of A-Z, a-z, 0-9, _ and -')
    }
    return problems
  },
  getUpdates(params) {
    // Telegram clamps a limit out of range; the spec accepts 1-100, so a caller asking for more has a bug.
    return rangeProblem('limit', params.limit, 1, 100)
  },
  getStarTransactions(params) {
    return [
      ...rangeProblem('limit', params.limit, 1, 100),
      ...rangeProblem('offset', params.offset, 0, Infinity),
    ]
  },
  sendMessage(params) {
    if (typeof params.text !== 'string') return []
    // "1-4096 characters after entities parsing": markup does not count, and markup that does not parse is refused.
    const parsed = parseFormattedText(params.text, params.parse_mode)
    if ('error' in parsed) return [`text: ${parsed.error}`]
    return lengthProblem('text after entities parsing', parsed.text, 1, 4096, 'characters')
  },
}
