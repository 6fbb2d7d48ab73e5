// `tma-pay/live`: the live order stream, an entry point of its own so an app that polls does not ship it.
export { liveOrderStream } from './live-order-stream'
