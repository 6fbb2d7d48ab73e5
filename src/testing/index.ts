export * from './browser'
export type { InitDataUser, SignInitDataOptions } from './fixtures'
export { signInitData, testUser } from './fixtures'
export type { TelegramSimulator, TelegramSimulatorOptions } from './simulator/index'
export { createTelegramSimulator } from './simulator/index'
export { InvoiceAlreadyPaidError, UnknownInvoiceError } from './simulator/payments'
export type { RecordedLine } from './simulator/recorder'
export type {
  BotInfo,
  ChatInvoiceTarget,
  ChatPayOptions,
  Fault,
  FaultTarget,
  InjectedBotApiError,
  InlineKeyboardButton,
  InlineKeyboardMarkup,
  Message,
  MessageEntity,
  PaymentOutcome,
  PayOptions,
  RecordedCall,
  RecordedDelivery,
  SimulatedChatInvoice,
  SimulatedInvoice,
  SimulatedInvoiceTerms,
  SimulatedPayment,
  StarTransaction,
  TelegramUser,
  Update,
  UserMessageOptions,
} from './simulator/types'
export { botApiSpec, validateMethodCall, validateObject, validateResult } from './spec/validate'
