import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Product } from '../../core'
import { productProblems } from '../../server/catalog'
import { UsageError } from '../errors'

const KNOWN_FIELDS = new Set([
  'id',
  'title',
  'description',
  'amount',
  'currency',
  'photoUrl',
  'maxQuantity',
  'subscriptionPeriod',
  'kind',
  'durationSeconds',
  'active',
])

/**
 * Reads the catalog `tma-pay serve` sells: a JSON array of products. Every problem is reported at once
 * (a UsageError), so a broken file is fixed in one pass instead of one error per start.
 */
export function loadProductsFile(file: string): Product[] {
  const path = resolve(file)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new UsageError(
      `Cannot read the products file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
    )
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new UsageError(`The products file ${path} is not JSON: ${(error as Error).message}.`)
  }
  if (!Array.isArray(json) || json.length === 0) {
    throw new UsageError(
      `The products file ${path} must hold a non-empty JSON array: [{ "id", "title", "description", "amount", "currency"?: "XTR", "photoUrl"?, "kind"?, "durationSeconds"?, "maxQuantity"?, "subscriptionPeriod"? }].`,
    )
  }
  const problems: string[] = []
  const ids = new Set<string>()
  json.forEach((entry: unknown, index) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`entry ${index}: must be an object`)
      return
    }
    const product = entry as Product
    problems.push(...productProblems(product).map((problem) => `entry ${index}: ${problem}`))
    // A misspelt optional field (maxQty, photo_url) would be silently ignored otherwise.
    for (const key of Object.keys(product)) {
      if (!KNOWN_FIELDS.has(key)) problems.push(`entry ${index}: unknown field ${JSON.stringify(key)}`)
    }
    if (ids.has(product.id))
      problems.push(`entry ${index}: product ${JSON.stringify(product.id)} is listed twice`)
    ids.add(product.id)
  })
  if (problems.length > 0)
    throw new UsageError(`The products file ${path} has problems:\n- ${problems.join('\n- ')}`)
  return json as Product[]
}
