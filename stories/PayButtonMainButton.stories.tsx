import type { Meta, StoryObj } from '@storybook/react-vite'
import { init } from '@tma.js/sdk'
import { useEffect } from 'react'
import { expect, fn, waitFor } from 'storybook/test'
import { PayButton, type PayButtonProps } from 'tma-pay/react'
import { type MockMiniApp, mockMiniApp } from 'tma-pay/testing'
import {
  type FakeLoaded,
  fakeLoader,
  MainButtonBar,
  MainButtonStandIn,
  PayKit,
  ProductCard,
  useTick,
} from './helpers'
import { expectAnnounced, flowTimeout, stateStories } from './states'

/**
 * Every state of PayButton's `main-button` variant, in Telegram's light and dark themes. This variant draws
 * no button in the page: it drives Telegram's bottom MainButton (text, loader, enabled) and keeps only the
 * `aria-live` line that announces the result. Telegram draws the MainButton outside the page, so these
 * stories pass PayButton a stand-in (`mainButton` prop) that draws what PayButton sets, the way Telegram
 * does. The "In mocked Telegram (@tma.js/sdk)" stories show the real path: the SDK's MainButton over mockMiniApp.
 */
const meta = {
  title: 'PayButton/Main button',
  component: PayButton,
  args: { productId: 'magic-book', variant: 'main-button', onPaid: fn(), onError: fn(), onSettled: fn() },
  loaders: [fakeLoader({ scenario: 'paid' })],
  render: (args, { loaded }) => {
    const { fake, storage, mainButton } = loaded as FakeLoaded
    return (
      <PayKit fake={fake} storage={storage}>
        <ProductCard title="Magic Book">
          <span style={{ color: 'var(--tg-theme-hint-color)' }}>Pay with the button at the bottom.</span>
          <PayButton {...args} mainButton={mainButton} />
        </ProductCard>
        <MainButtonStandIn button={mainButton} />
      </PayKit>
    )
  },
} satisfies Meta<typeof PayButton>

export default meta
type Story = StoryObj<typeof meta>

const states = stateStories<Story>('main-button')
const dark = (story: Story): Story => ({ ...story, globals: { theme: 'dark' } })

/** The MainButton shows the price from the server's catalog. */
export const Idle: Story = states.Idle
export const IdleDark = dark(Idle)
export const Creating: Story = states.Creating
export const CreatingDark = dark(Creating)
export const AwaitingPayment: Story = states.AwaitingPayment
export const AwaitingPaymentDark = dark(AwaitingPayment)
export const Confirming: Story = states.Confirming
export const ConfirmingDark = dark(Confirming)
export const Paid: Story = states.Paid
export const PaidDark = dark(Paid)
export const Cancelled: Story = states.Cancelled
export const CancelledDark = dark(Cancelled)
export const Failed: Story = states.Failed
export const FailedDark = dark(Failed)
export const Expired: Story = states.Expired
export const ExpiredDark = dark(Expired)
export const Owned: Story = states.Owned
export const OwnedDark = dark(Owned)
export const Extend: Story = states.Extend
export const ExtendDark = dark(Extend)

// ---- The real MainButton path: @tma.js/sdk over a mocked Telegram client ----------------------------------

interface MockedTelegram {
  mock: MockMiniApp
  stopSdk: () => void
}

/**
 * A Telegram client mocked in the page (`mockMiniApp` from `tma-pay/testing`), then `init()` of @tma.js/sdk,
 * as a Mini App starts. PayButton then drives the MainButton through the SDK (its default `mainButton`).
 */
const mockedTelegramLoader = async ({
  globals,
}: {
  globals: Record<string, unknown>
}): Promise<MockedTelegram> => {
  const mock = await mockMiniApp({ theme: globals.theme === 'dark' ? 'dark' : 'light' })
  return { mock, stopSdk: init() }
}

/** What Telegram was told, drawn as Telegram would, and the last `web_app_setup_main_button` it received. */
function RecordedMainButton({ mock, stopSdk }: MockedTelegram) {
  useTick(100)
  // The story leaves: the mocked client and the SDK's listeners go with it.
  useEffect(
    () => () => {
      stopSdk()
      mock.close()
    },
    [mock, stopSdk],
  )
  const recorded = mock.mainButton
  return (
    <>
      <pre
        style={{
          fontSize: 12,
          color: 'var(--tg-theme-hint-color)',
          whiteSpace: 'pre-wrap',
          marginBottom: 80,
        }}
      >
        {`web_app_setup_main_button ${JSON.stringify(recorded ?? null, null, 1)}`}
      </pre>
      {recorded && (
        <MainButtonBar
          params={{
            text: recorded.text ?? '',
            isVisible: recorded.is_visible ?? false,
            isEnabled: recorded.is_active ?? true,
            isLoaderVisible: recorded.is_progress_visible ?? false,
          }}
          onPress={() => mock.pressMainButton()}
        />
      )}
    </>
  )
}

/**
 * The MainButton through @tma.js/sdk in a mocked Telegram client: the bar is drawn from the
 * `web_app_setup_main_button` calls the mock recorded. The play function presses the MainButton as Telegram
 * reports a tap (`main_button_pressed`) and checks what Telegram was last told.
 */
export const InMockedTelegram: Story = {
  name: 'In mocked Telegram (@tma.js/sdk)',
  loaders: [fakeLoader({ scenario: 'paid' }), mockedTelegramLoader],
  render: (args, { loaded }) => {
    const { fake, storage, mock, stopSdk } = loaded as FakeLoaded & MockedTelegram
    // No `mainButton` prop: PayButton uses the SDK's MainButton, as in a real Mini App.
    const { mainButton: _standIn, ...props } = args as PayButtonProps
    return (
      <PayKit fake={fake} storage={storage}>
        <ProductCard title="Magic Book">
          <span style={{ color: 'var(--tg-theme-hint-color)' }}>Pay with Telegram's MainButton.</span>
          <PayButton {...props} />
        </ProductCard>
        <RecordedMainButton mock={mock} stopSdk={stopSdk} />
      </PayKit>
    )
  },
  play: async ({ canvasElement, loaded, args }) => {
    const { mock } = loaded as MockedTelegram
    await waitFor(
      () => expect(mock.mainButton).toMatchObject({ text: 'Pay ⭐ 50', is_visible: true, is_active: true }),
      flowTimeout,
    )
    mock.pressMainButton()
    await expectAnnounced(canvasElement, 'Paid')
    await expect(args.onPaid).toHaveBeenCalledOnce()
    await waitFor(
      () =>
        expect(mock.mainButton).toMatchObject({ text: 'Paid', is_active: false, is_progress_visible: false }),
      flowTimeout,
    )
  },
}
export const InMockedTelegramDark: Story = {
  ...dark(InMockedTelegram),
  name: 'In mocked Telegram (@tma.js/sdk), dark',
}
