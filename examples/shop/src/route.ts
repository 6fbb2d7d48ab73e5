// Hash routes, so the dev server needs no history fallback and a reload keeps the page:
// `#/` the shop, `#/product/<id>` a product page with the MainButton checkout, `#/admin` the shop owner's page.
import { useSyncExternalStore } from 'react'

export type Route = { page: 'home' } | { page: 'product'; productId: string } | { page: 'admin' }

export function parseRoute(hash: string): Route {
  if (/^#\/admin\/?$/.test(hash)) return { page: 'admin' }
  const product = /^#\/product\/([^/]+)$/.exec(hash)
  return product ? { page: 'product', productId: decodeURIComponent(product[1]!) } : { page: 'home' }
}

const subscribe = (onChange: () => void) => {
  window.addEventListener('hashchange', onChange)
  return () => window.removeEventListener('hashchange', onChange)
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => location.hash)
  return parseRoute(hash)
}

export const productHref = (productId: string) => `#/product/${encodeURIComponent(productId)}`

export const adminHref = '#/admin'
