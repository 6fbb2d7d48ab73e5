import { formatPrice, PayButton, useProducts } from 'tma-pay/react'
import { PassTime } from './PassTime'
import { ProductPicture } from './ProductPicture'
import { productHref } from './route'
import { SubscriptionPanel } from './SubscriptionPanel'

/** The catalog from the pay server (`GET /products`): the shop never sets a price itself. */
export function ProductGrid() {
  const products = useProducts()
  if (products.isPending) return <p className="muted">Loading products…</p>
  if (products.isError)
    return (
      <p className="error" role="alert">
        Could not load the products: {products.error.message}{' '}
        <button type="button" onClick={() => products.refetch()}>
          Retry
        </button>
      </p>
    )
  return (
    <section aria-labelledby="products-title">
      <h2 id="products-title">Products</h2>
      <ul className="grid">
        {products.data.map((product) => (
          <li key={product.id} className="card" data-testid={`product-${product.id}`}>
            <ProductPicture product={product} />
            <h3>
              <a href={productHref(product.id)}>{product.title}</a>
            </h3>
            <p className="muted">{product.description}</p>
            <p className="price">
              {formatPrice(product.amount, product.currency)}
              {product.subscriptionPeriod ? ' / month' : product.kind === 'pass' ? ' / day' : ''}
            </p>
            {product.kind === 'pass' && <PassTime productId={product.id} />}
            {product.subscriptionPeriod ? (
              <SubscriptionPanel product={product} buy={<PayButton product={product} />} />
            ) : (
              <PayButton product={product} />
            )}
          </li>
        ))}
      </ul>
    </section>
  )
}
