import { PayError } from './errors'

// The errors the server answers with for orders, made in one place so the fake client (tma-pay/testing)
// reports the very same code, message and details.

export const orderErrors = {
  notFound: (orderId: string) => new PayError('not_found', `No order ${orderId}.`),
  productNotFound: (productId: string) =>
    new PayError('product_not_found', `No product "${productId}" in the catalog.`),
  productUnavailable: (productId: string) =>
    new PayError('product_unavailable', `Product "${productId}" is not for sale now.`),
  quantityTooLarge: (productId: string, maxQuantity: number) =>
    new PayError('validation_failed', `quantity must be at most ${maxQuantity} for "${productId}".`, {
      details: { field: 'quantity' },
    }),
  idempotencyConflict: () =>
    new PayError(
      'idempotency_conflict',
      'This Idempotency-Key was used with another request body; use a new key for a new order.',
    ),
  alreadyOwned: (productId: string, orderId: string | undefined) =>
    new PayError('already_owned', `You own "${productId}" already: it is bought once.`, {
      details: { productId, ...(orderId ? { orderId } : {}) },
    }),
  notASubscription: (orderId: string, status: string) =>
    new PayError(
      'invalid_state',
      `Order ${orderId} is not a paid subscription: only those can be canceled or re-enabled.`,
      { details: { status } },
    ),
}
