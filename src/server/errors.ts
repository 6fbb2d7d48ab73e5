import type { PayError, PayErrorBody } from '../core'
import { httpStatusByCode } from '../core/http-status'

/** The HTTP API's answer for an error: its status from the code, and `{ error: { code, message, details? } }`. */
export function errorResponse(error: PayError): Response {
  const body: PayErrorBody = { error: { code: error.code, message: error.message } }
  if (error.details !== undefined) body.error.details = error.details
  return Response.json(body, { status: error.status || httpStatusByCode[error.code] || 500 })
}
