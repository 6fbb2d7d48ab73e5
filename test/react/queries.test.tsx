// @vitest-environment happy-dom
// The React Query hooks (useOrder, useOrders, useOrderTimeline, useProducts) and usePayment, against
// the real pay server. Requests are counted by the fetch the client was given.
import { act, cleanup, render, renderHook, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import type { ReactNode } from 'react'
import type { PaymentResult } from 'tma-pay'
import { PayButton, useOrder, useOrders, useOrderTimeline, usePayment, useProducts } from 'tma-pay/react'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createUser, ordersOf, Providers, poll, type Stack, simPay, startStack } from '../helpers/react-stack'

function OrderStatus({ id }: { id: string }) {
  const { data, dataUpdatedAt } = useOrder(id)
  return <p data-updated={dataUpdatedAt}>{data?.status ?? 'loading'}</p>
}

function OrderList() {
  const { data, hasNextPage, fetchNextPage } = useOrders({ limit: 2 })
  return (
    <>
      <ul>
        {data?.pages.flatMap((page) =>
          page.data.map((order) => <li key={order.id}>{`${order.productId} ${order.status}`}</li>),
        )}
      </ul>
      {hasNextPage && (
        <button type="button" onClick={() => fetchNextPage()}>
          More
        </button>
      )}
    </>
  )
}

function Timeline({ id }: { id: string }) {
  const { data } = useOrderTimeline(id)
  return <p>{data?.events.map((event) => event.status).join(' ')}</p>
}

function Catalog() {
  const { data } = useProducts()
  return <p>{data?.map((product) => `${product.id}:${product.amount}`).join(' ')}</p>
}

const items = () => screen.queryAllByRole('listitem').map((item) => item.textContent)

let stack: Stack
beforeAll(async () => {
  stack = await startStack()
})
afterAll(() => stack?.close())

describe('React Query hooks', () => {
  afterEach(() => {
    cleanup()
    vi.useRealTimers()
  })

  it('useOrder follows the live stream: the paid order arrives without a single poll', async () => {
    const user = createUser(stack)
    const order = await user.client.createOrder({ productId: 'gem' })
    const requestsFor = (path: string) => user.requests.filter((request) => request === `GET ${path}`).length
    render(
      <Providers checkout={user.launch()}>
        <OrderStatus id={order.id} />
      </Providers>,
    )
    await poll(() => screen.getByRole('paragraph').textContent).toBe('created')
    await poll(() => requestsFor(`/orders/${order.id}/stream`)).toBe(1)
    await simPay(stack, order.invoiceUrl, user.userId)
    await poll(() => screen.getByRole('paragraph').textContent).toBe('paid')
    // Well past the first poll's 1 s: still the one GET of the first render, and the one stream.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(requestsFor(`/orders/${order.id}`)).toBe(1)
    expect(requestsFor(`/orders/${order.id}/stream`)).toBe(1)
  })

  it('useOrder falls back to polling with backoff when there is no stream, refetches on visibility, and stops once settled', async () => {
    // Fake timers drive React Query's refetch interval (and its 0 ms notify ticks); answers come in real time.
    const realSetTimeout = globalThis.setTimeout
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
    const tick = (ms: number) => act(() => vi.advanceTimersByTimeAsync(ms))
    // Waits in real time without moving the fake clock (expect.poll would move it).
    const until = async (check: () => boolean) => {
      for (let waited = 0; !check(); waited += 10) {
        if (waited > 10_000) throw new Error('until: condition not met in time')
        await tick(0)
        await new Promise((resolve) => realSetTimeout(resolve, 10))
      }
    }
    const user = createUser(stack, { noStream: true })
    const order = await user.client.createOrder({ productId: 'gem' })
    const gets = () => user.requests.filter((request) => request === `GET /orders/${order.id}`).length
    const shown = () => screen.getByRole('paragraph').textContent
    // When the last answer was handled: React Query restarts its interval then.
    const answered = () => screen.getByRole('paragraph').dataset.updated
    const nextAnswer = async () => {
      const last = answered()
      await until(() => answered() !== last)
    }
    render(
      <Providers checkout={user.launch()}>
        <OrderStatus id={order.id} />
      </Providers>,
    )
    await until(() => shown() === 'created')
    expect(gets()).toBe(1)

    // About 1 s after the first answer, then half as long again after the second.
    await tick(990)
    expect(gets()).toBe(1)
    await tick(10)
    await nextAnswer()
    expect(gets()).toBe(2)
    await tick(1490)
    expect(gets()).toBe(2)
    await tick(10)
    await nextAnswer()
    expect(gets()).toBe(3)

    // The Mini App comes back from the background: Telegram's WebView fires visibilitychange.
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }))
    await nextAnswer()
    expect(gets()).toBe(4)

    await simPay(stack, order.invoiceUrl, user.userId)
    await tick(5000)
    await until(() => shown() === 'paid')
    const settled = gets()
    await tick(120_000)
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }))
    await tick(0)
    await new Promise((resolve) => realSetTimeout(resolve, 200))
    expect(gets()).toBe(settled)
  })

  it("useOrder does not keep asking for an order the server will not show (another user's, or none)", async () => {
    const owner = createUser(stack)
    const order = await owner.client.createOrder({ productId: 'gem' })
    const stranger = createUser(stack)
    function Missing() {
      const { error } = useOrder(order.id)
      return <p>{error?.code ?? 'loading'}</p>
    }
    render(
      <Providers checkout={stranger.launch()}>
        <Missing />
      </Providers>,
    )
    await poll(() => screen.getByRole('paragraph').textContent).toBe('not_found')
    await new Promise((resolve) => setTimeout(resolve, 1500))
    // One read, one try of the stream (refused), one poll that hears the 404 again; then nothing more.
    expect(stranger.requests.sort()).toEqual([
      `GET /orders/${order.id}`,
      `GET /orders/${order.id}`,
      `GET /orders/${order.id}/stream`,
    ])
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(stranger.requests).toHaveLength(3)
  })

  it('useOrders pages through the cursor: starting_after is the last order of the previous page', async () => {
    const user = createUser(stack)
    const created = []
    for (const productId of ['gem', 'magic-book', 'gem'])
      created.push(await user.client.createOrder({ productId }))
    render(
      <Providers checkout={user.launch()}>
        <OrderList />
      </Providers>,
    )
    await poll(items).toEqual(['gem created', 'magic-book created'])
    await userEvent.click(screen.getByRole('button', { name: 'More' }))
    await poll(items).toEqual(['gem created', 'magic-book created', 'gem created'])
    expect(screen.queryByRole('button', { name: 'More' })).toBeNull()
    expect(user.requests).toContain(`GET /orders?limit=2&starting_after=${created[1]!.id}`)
  })

  it('refreshes order lists and the timeline when a payment settles', async () => {
    const user = createUser(stack)
    const old = await user.client.createOrder({ productId: 'gem' })
    function Page() {
      const { data } = useOrders()
      const latest = data?.pages[0]?.data[0]
      return (
        <>
          <OrderList />
          {latest && <Timeline id={latest.id} />}
          <PayButton product={{ id: 'magic-book', amount: 50 }} />
        </>
      )
    }
    render(
      <Providers checkout={user.launch()}>
        <Page />
      </Providers>,
    )
    await poll(items).toEqual(['gem created'])
    await userEvent.click(screen.getByRole('button', { name: 'Pay ⭐ 50' }))
    await poll(items).toEqual(['magic-book paid', 'gem created'])
    await poll(() => screen.getAllByRole('paragraph')[0]!.textContent).toBe('created pending processing paid')
    expect(old.status).toBe('created')
  })

  it('useProducts reads the catalog', async () => {
    const user = createUser(stack)
    render(
      <Providers checkout={user.launch()}>
        <Catalog />
      </Providers>,
    )
    await poll(() => screen.getByRole('paragraph').textContent).toBe('magic-book:50 gem:5')
  })
})

describe('usePayment', () => {
  afterEach(() => cleanup())

  const wrapperFor =
    (user: ReturnType<typeof createUser>) =>
    ({ children }: { children: ReactNode }) => <Providers checkout={user.launch()}>{children}</Providers>

  it('makes one order for two pay() calls in the same tick, and narrows state to the result', async () => {
    const user = createUser(stack)
    const { result } = renderHook(() => usePayment(), { wrapper: wrapperFor(user) })
    expect(result.current.state).toEqual({ status: 'idle' })
    let results: (PaymentResult | undefined)[] = []
    await act(async () => {
      results = await Promise.all([result.current.pay('gem'), result.current.pay({ productId: 'gem' })])
    })
    expect(results[0]).toBe(results[1])
    expect(result.current.state.status).toBe('paid')
    expect(result.current.order?.status).toBe('paid')
    expect(result.current.error).toBeUndefined()
    expect(result.current.isPending).toBe(false)
    expect(await ordersOf(user)).toBe(1)
  })

  it('reset() stops a payment under way: pay() resolves undefined instead of throwing', async () => {
    let closeInvoice: (outcome: 'paid') => void = () => {}
    const user = createUser(stack, { act: () => new Promise((resolve) => (closeInvoice = resolve)) })
    const onSettled = vi.fn()
    const { result } = renderHook(() => usePayment({ onSettled }), { wrapper: wrapperFor(user) })
    let paying: Promise<PaymentResult | undefined> = Promise.resolve(undefined)
    act(() => {
      paying = result.current.pay('gem')
    })
    await poll(() => user.opened.length).toBe(1)
    expect(result.current.state.status).toBe('awaiting_payment')
    expect(result.current.isPending).toBe(true)
    act(() => result.current.reset())
    expect(result.current.state.status).toBe('idle')
    // The checkout cannot close Telegram's sheet; when it closes, the stopped flow ends quietly.
    closeInvoice('paid')
    await expect(paying).resolves.toBeUndefined()
    expect(result.current.state.status).toBe('idle')
    expect(onSettled).not.toHaveBeenCalled()
  })

  it('calls the latest callbacks, never stale ones', async () => {
    const user = createUser(stack)
    const first = vi.fn()
    const second = vi.fn()
    const { result, rerender } = renderHook(({ onPaid }) => usePayment({ onPaid }), {
      wrapper: wrapperFor(user),
      initialProps: { onPaid: first },
    })
    rerender({ onPaid: second })
    await act(() => result.current.pay('gem'))
    expect(first).not.toHaveBeenCalled()
    expect(second).toHaveBeenCalledTimes(1)
  })
})
