import type { Product } from '../core'
import { PayError } from '../core/errors'
import { orderErrors } from '../core/order-errors'
import { kindOf, maxInvoiceAmount } from '../core/order-rules'

/** A catalog the server asks for prices; the client never sends one. */
export interface ProductCatalog {
  list(): Product[] | Promise<Product[]>
  get(productId: string): Product | undefined | Promise<Product | undefined>
}

/** What `createPayServer({ products })` takes: a list, a catalog, or an async lookup by id. */
export type ProductsOption =
  | readonly Product[]
  | ProductCatalog
  | ((productId: string) => Promise<Product | undefined>)

const STARS_SUBSCRIPTION_PERIOD = 2_592_000
const MAX_STARS_SUBSCRIPTION_PRICE = 10_000

/** Checks a product against Telegram's invoice limits; returns the problems, empty when it is sound. */
export function productProblems(product: Product): string[] {
  const problems: string[] = []
  const where = `product ${JSON.stringify(product?.id)}`
  if (typeof product?.id !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(product.id))
    problems.push(`${where}: id must be 1-64 characters of A-Z a-z 0-9 _ . : -`)
  if (typeof product?.title !== 'string' || product.title.length < 1 || product.title.length > 32)
    problems.push(`${where}: title must be 1-32 characters (Telegram's invoice limit)`)
  if (
    typeof product?.description !== 'string' ||
    product.description.length < 1 ||
    product.description.length > 255
  )
    problems.push(`${where}: description must be 1-255 characters`)
  if (!Number.isSafeInteger(product?.amount) || product.amount < 1)
    problems.push(`${where}: amount must be a positive integer (Stars, or minor units of the currency)`)
  const currency = product?.currency ?? 'XTR'
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency))
    problems.push(`${where}: currency must be a 3-letter code such as XTR`)
  else if (product.amount > maxInvoiceAmount(currency))
    problems.push(
      `${where}: amount must be at most ${maxInvoiceAmount(currency)} (Telegram's limit per invoice)`,
    )
  if (
    product?.photoUrl !== undefined &&
    (typeof product.photoUrl !== 'string' || !/^https?:\/\//.test(product.photoUrl))
  )
    problems.push(`${where}: photoUrl must be an http(s) URL`)
  if (
    product?.maxQuantity !== undefined &&
    (!Number.isSafeInteger(product.maxQuantity) || product.maxQuantity < 1)
  )
    problems.push(`${where}: maxQuantity must be a positive integer`)
  problems.push(...kindProblems(product, where))
  if (product?.subscriptionPeriod !== undefined) {
    if (product.subscriptionPeriod !== STARS_SUBSCRIPTION_PERIOD)
      problems.push(
        `${where}: subscriptionPeriod must be ${STARS_SUBSCRIPTION_PERIOD} (30 days), the only period Telegram allows`,
      )
    if (currency !== 'XTR')
      problems.push(`${where}: subscriptions are paid in Telegram Stars (currency XTR) only`)
    if (product.amount > MAX_STARS_SUBSCRIPTION_PRICE)
      problems.push(`${where}: a subscription costs at most ${MAX_STARS_SUBSCRIPTION_PRICE} Stars`)
  }
  return problems
}

const KINDS = ['consumable', 'non-consumable', 'pass', 'subscription']

/** What a product's kind asks of its other fields. */
function kindProblems(product: Product, where: string): string[] {
  if (product?.kind !== undefined && !KINDS.includes(product.kind))
    return [`${where}: kind must be one of ${KINDS.join(', ')}`]
  const kind = kindOf(product ?? {})
  const problems: string[] = []
  const { durationSeconds, maxQuantity = 1, subscriptionPeriod } = product ?? {}
  if (kind === 'pass') {
    if (!Number.isSafeInteger(durationSeconds) || durationSeconds! < 60)
      problems.push(
        `${where}: a pass needs durationSeconds, a whole number of seconds (60 or more) of access per unit`,
      )
  } else if (durationSeconds !== undefined)
    problems.push(`${where}: durationSeconds is for passes only (kind "pass"); this product is a ${kind}`)
  if ((kind === 'non-consumable' || kind === 'subscription') && maxQuantity > 1)
    problems.push(`${where}: a ${kind} is bought once: maxQuantity must be 1 (or left out)`)
  if (kind === 'subscription' && subscriptionPeriod === undefined)
    problems.push(`${where}: a subscription needs subscriptionPeriod (2592000)`)
  if (kind !== 'subscription' && subscriptionPeriod !== undefined)
    problems.push(
      `${where}: subscriptionPeriod makes a subscription; leave kind out or set it to "subscription"`,
    )
  return problems
}

/** The product as the server sells it: its `kind` spelled out. */
export const withKind = (product: Product): Product => ({ ...product, kind: kindOf(product) })

/** Turns any ProductsOption into a ProductCatalog, checking static lists once up front. */
export function toCatalog(products: ProductsOption): ProductCatalog {
  if (typeof products === 'function') {
    return { list: () => [], get: (productId) => products(productId) }
  }
  if (Array.isArray(products)) {
    const list = products as readonly Product[]
    const problems = list.flatMap(productProblems)
    const ids = new Set<string>()
    for (const product of list) {
      if (ids.has(product.id)) problems.push(`product ${JSON.stringify(product.id)} is listed twice`)
      ids.add(product.id)
    }
    if (problems.length) throw new TypeError(`createPayServer: bad products:\n- ${problems.join('\n- ')}`)
    const byId = new Map(list.map((product) => [product.id, product]))
    return {
      list: () => list.filter((product) => product.active !== false),
      get: (productId) => byId.get(productId),
    }
  }
  return products as ProductCatalog
}

/** Looks a product up for a sale; unknown → 404, inactive or unsound → 409. */
export async function productForSale(catalog: ProductCatalog, productId: string): Promise<Product> {
  const product = await catalog.get(productId)
  if (!product) throw orderErrors.productNotFound(productId)
  if (product.active === false) throw orderErrors.productUnavailable(productId)
  const problems = productProblems(product)
  if (problems.length)
    throw new PayError('internal', `The catalog entry of "${productId}" is invalid: ${problems.join('; ')}`)
  return product
}
