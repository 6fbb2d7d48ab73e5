import { useState } from 'react'
import { formatPrice, PayButton, type Product, useProducts } from 'tma-pay/react'
import type { ShopMainButton } from './main-button'
import { ProductPicture } from './ProductPicture'
import { SubscriptionPanel } from './SubscriptionPanel'

/** One product, bought with Telegram's bottom MainButton (PayButton's `main-button` variant). */
export function ProductPage({ productId, mainButton }: { productId: string; mainButton: ShopMainButton }) {
  const products = useProducts()
  const [quantity, setQuantity] = useState(1)
  const product = products.data?.find((item) => item.id === productId)
  if (products.isPending) return <p className="muted">Loading…</p>
  if (!product)
    return (
      <p className="error" role="alert">
        No product “{productId}”. <a href="#/">Back to the shop</a>
      </p>
    )
  const max = product.maxQuantity ?? 1
  const checkout = { product, quantity, mainButton }
  return (
    <article className="product-page" data-testid="product-page">
      <a href="#/">← All products</a>
      <ProductPicture product={product} />
      <h2>{product.title}</h2>
      <p>{product.description}</p>
      {max > 1 && (
        <label className="quantity">
          Quantity{' '}
          <select value={quantity} onChange={(event) => setQuantity(Number(event.target.value))}>
            {Array.from({ length: max }, (_, index) => (
              <option key={index + 1} value={index + 1}>
                {index + 1}
              </option>
            ))}
          </select>
        </label>
      )}
      <p className="price">{formatPrice(product.amount * quantity, product.currency)}</p>
      {/* The key starts a fresh payment when the quantity changes. */}
      {product.subscriptionPeriod ? (
        // A running subscription shows its state instead of a second checkout.
        <SubscriptionPanel product={product} buy={<MainButtonCheckout key={quantity} {...checkout} />} />
      ) : (
        <MainButtonCheckout key={quantity} {...checkout} />
      )}
    </article>
  )
}

function MainButtonCheckout({
  product,
  quantity,
  mainButton,
}: {
  product: Product
  quantity: number
  mainButton: ShopMainButton
}) {
  return (
    <>
      <p className="muted">Pay with the button at the bottom of the screen.</p>
      <PayButton product={product} quantity={quantity} variant="main-button" mainButton={mainButton} />
    </>
  )
}
