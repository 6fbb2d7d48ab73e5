// Hash routes, so the dev server needs no history fallback and a reload keeps the page:
// `#/` the shop, `#/product/<id>` a product page with the MainButton checkout.
import { useSyncExternalStore } from 'react'

export type Route = { page: 'home' } | { page: 'product'; productId: string }

function parse(hash: string): Route {
  const product = /^#\/product\/([^/]+)$/.exec(hash)
  return product ? { page: 'product', productId: decodeURIComponent(product[1]!) } : { page: 'home' }
}

const subscribe = (onChange: () => void) => {
  window.addEventListener('hashchange', onChange)
  return () => window.removeEventListener('hashchange', onChange)
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => location.hash)
  return parse(hash)
}

export const productHref = (productId: string) => `#/product/${encodeURIComponent(productId)}`
