// What the React kit uses of @tma.js/sdk, imported in one place: a bundler keeps one import statement per
// module, so this makes one for the whole kit instead of one per file. Core's invoice bridge loads the SDK
// itself, lazily (telegram-bridge.ts), so that `tma-pay` loads in a Node project without it.
export { initData, mainButton } from '@tma.js/sdk'
