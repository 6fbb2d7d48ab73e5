// Types that guide the user: checked by `tsc -p tsconfig.json --noEmit` (never run). Each
// `@ts-expect-error` line is a mistake that must not compile.
import type { Order, PayError, PaymentResult, PaymentState, PendingPayment } from 'tma-pay'
import {
  PayButton,
  PayProvider,
  type UsePaymentResult,
  useOrder,
  useOrders,
  usePayment,
  usePendingPayment,
} from 'tma-pay/react'
import { expectTypeOf } from 'vitest'

export function narrowsTheState(state: PaymentState) {
  if (state.status === 'paid') expectTypeOf(state.order).toEqualTypeOf<Order>()
  if (state.status === 'failed') {
    expectTypeOf(state.error).toEqualTypeOf<PayError>()
    expectTypeOf(state.order).toEqualTypeOf<Order | undefined>()
  }
  if (state.status === 'confirming')
    expectTypeOf(state.invoiceStatus).toEqualTypeOf<'paid' | 'cancelled' | 'failed' | 'pending' | 'unknown'>()
  if (state.status === 'idle') {
    // @ts-expect-error idle has no order
    void state.order
  }
  if (state.status === 'creating') {
    // @ts-expect-error no order exists while it is being created
    void state.order
  }
  // @ts-expect-error not a status
  if (state.status === 'done') return
}

export function HookTypes() {
  const payment = usePayment({
    onPaid: (order) => expectTypeOf(order).toEqualTypeOf<Order>(),
    onError: (error) => expectTypeOf(error).toEqualTypeOf<PayError>(),
    onSettled: (result) =>
      expectTypeOf(result.status).toEqualTypeOf<'paid' | 'cancelled' | 'failed' | 'expired'>(),
  })
  expectTypeOf(payment).toEqualTypeOf<UsePaymentResult>()
  expectTypeOf(payment.pay)
    .parameter(0)
    .toEqualTypeOf<string | { productId: string; quantity?: number; metadata?: Record<string, string> }>()
  expectTypeOf(payment.pay('gem')).resolves.toEqualTypeOf<PaymentResult | undefined>()
  if (payment.state.status === 'paid') expectTypeOf(payment.state.order.id).toBeString()
  // @ts-expect-error quantity is a number
  void payment.pay({ productId: 'gem', quantity: '2' })
  // @ts-expect-error the client never sets a price
  void payment.pay({ productId: 'gem', amount: 1 })

  const pending = usePendingPayment()
  expectTypeOf(pending.pending).toEqualTypeOf<PendingPayment | null>()
  expectTypeOf(pending.resume).returns.resolves.toEqualTypeOf<PaymentResult | null>()

  expectTypeOf(useOrder('ord_1').data).toEqualTypeOf<Order | undefined>()
  expectTypeOf(useOrder(undefined, { enabled: false }).error).toEqualTypeOf<PayError | null>()
  expectTypeOf(useOrders({ status: 'paid' }).data?.pages[0]?.data).toEqualTypeOf<Order[] | undefined>()
  // @ts-expect-error not an order status
  useOrders({ status: 'done' })
  return null
}

export function PropTypes() {
  return [
    <PayButton
      key="1"
      productId="magic-book"
      onPaid={(order) => expectTypeOf(order).toEqualTypeOf<Order>()}
    />,
    <PayButton key="2" product={{ id: 'gem', amount: 5, currency: 'XTR' }} variant="main-button" />,
    // @ts-expect-error a productId or a product is needed
    <PayButton key="3" />,
    // @ts-expect-error one or the other, not both
    <PayButton key="4" productId="gem" product={{ id: 'gem', amount: 5 }} />,
    // @ts-expect-error no such variant
    <PayButton key="5" productId="gem" variant="floating" />,
    // @ts-expect-error onPaid is given the Order
    <PayButton key="6" productId="gem" onPaid={(order: string) => order} />,
    // @ts-expect-error labels are strings
    <PayButton key="7" productId="gem" labels={{ paid: 1 }} />,
    // @ts-expect-error PayProvider needs a client or a checkout
    <PayProvider key="8" />,
  ]
}
