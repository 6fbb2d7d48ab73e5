'use client'

// Zero-specificity selectors (:where) so an app's own `className` always wins over these defaults.
// Colours come from Telegram's theme variables (set by Telegram, or by @tma.js themeParams.bindCssVars()).
export const buttonCss =
  ':where(.tma-pay-button){display:inline-flex;place-items:center;gap:8px;padding:12px 20px;border:0;border-radius:10px;background:var(--tg-theme-button-color,#2481cc);color:var(--tg-theme-button-text-color,#fff);font:inherit;font-weight:600}' +
  ':where(.tma-pay-button:disabled){opacity:.6}' +
  '.tma-pay-spinner{width:1em;height:1em;border:2px solid;border-right-color:#0000;border-radius:50%;animation:tma-pay-spin .8s linear infinite}' +
  '@keyframes tma-pay-spin{to{rotate:1turn}}' +
  ':where(.tma-pay-status){display:block;font-size:14px;color:var(--tg-theme-hint-color,#999)}' +
  // "Paid" on the inline button already: the line under it says it to screen readers only, not twice on screen.
  '.tma-pay-button+[data-status=paid]{position:absolute;clip-path:inset(50%)}'
