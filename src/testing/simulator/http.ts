// HTTP plumbing: request bodies, Bot API parameters in the encodings Telegram takes, JSON answers, CORS.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { botApiSpec } from '../spec/validate'

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  })
  response.end(text)
}

export const corsHeaders: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type, authorization',
  'access-control-max-age': '600',
}

/**
 * A Bot API call's parameters from the query string and the body (JSON or x-www-form-urlencoded), as Telegram
 * takes them. Form and query values are strings; they are read per the spec's field types (numbers, booleans,
 * JSON-serialized arrays and objects), as the Bot API server does.
 */
export async function readBotApiParams(request: IncomingMessage, url: URL, method: string) {
  const params: Record<string, unknown> = {}
  for (const [key, value] of url.searchParams) params[key] = readFormValue(method, key, value)
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  const body = await readBody(request)
  if (!body) return params
  if (contentType === 'application/json') {
    let json: unknown
    try {
      json = JSON.parse(body)
    } catch {
      throw new HttpError(400, "Bad Request: can't parse JSON object")
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new HttpError(400, 'Bad Request: parameters must be a JSON object')
    }
    return Object.assign(params, json)
  }
  if (contentType === 'application/x-www-form-urlencoded') {
    for (const [key, value] of new URLSearchParams(body)) params[key] = readFormValue(method, key, value)
    return params
  }
  throw new HttpError(
    400,
    `Bad Request: the simulator does not take ${contentType || 'a body without content-type'}`,
  )
}

function readFormValue(method: string, key: string, value: string): unknown {
  const types = botApiSpec.methods[method]?.fields?.find((field) => field.name === key)?.types
  if (!types || types.includes('String')) return value
  if (types.includes('Integer') && /^-?\d+$/.test(value)) return Number(value)
  if (types.includes('Float') && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value)
  if (types.includes('Boolean') || types.includes('True')) {
    if (/^(true|1)$/i.test(value)) return true
    if (/^(false|0)$/i.test(value)) return false
  }
  try {
    return JSON.parse(value)
  } catch {
    return value
  }
}
