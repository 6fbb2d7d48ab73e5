// What the kit uses of @tma.js/sdk, core and React alike, imported in one place: a bundler keeps one
// import statement per module, so this makes one for the whole kit instead of one per file.
export { hapticFeedback, initData, invoice, mainButton } from '@tma.js/sdk'
