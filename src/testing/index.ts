export * from './browser'
export type { InitDataUser, SignInitDataOptions } from './fixtures'
export { signInitData, testUser } from './fixtures'
export type { TelegramSimulator, TelegramSimulatorOptions } from './simulator/index'
export { createTelegramSimulator } from './simulator/index'
export type { RecordedLine } from './simulator/recorder'
export type {
  BotInfo,
  Fault,
  FaultTarget,
  InjectedBotApiError,
  PaymentOutcome,
  PayOptions,
  RecordedCall,
  RecordedDelivery,
  SimulatedInvoice,
  SimulatedPayment,
  StarTransaction,
  TelegramUser,
  Update,
} from './simulator/types'
export { botApiSpec, validateMethodCall, validateObject } from './spec/validate'
