import { PayError, type Product } from '../core'
import { orderErrors } from '../core/order-errors'
import { maxInvoiceAmount } from '../core/order-rules'

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
