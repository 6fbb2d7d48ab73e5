import { fileURLToPath } from 'node:url'
import type { StorybookConfig } from '@storybook/react-vite'

const src = (path: string) => fileURLToPath(new URL(`../src/${path}`, import.meta.url))

const config: StorybookConfig = {
  stories: ['../stories/**/*.stories.@(ts|tsx)'],
  framework: { name: '@storybook/react-vite', options: {} },
  core: { disableTelemetry: true, disableWhatsNewNotifications: true },
  features: {
    // test/stories.test.ts builds with React's development build, so React's warnings (keys, nesting,
    // updates after unmount...) reach the console and fail the story, as they would in `npm run storybook`.
    developmentModeForBuild: process.env.TMA_PAY_STORYBOOK_DEV === '1',
  },
  // react-docgen-typescript needs TypeScript's JS compiler API, which TypeScript 7 (native) does not ship;
  // react-docgen reads the props with Babel.
  typescript: { reactDocgen: 'react-docgen' },
  async viteFinal(viteConfig) {
    const { mergeConfig } = await import('vite')
    // Stories import the package as users do; here the names point at the sources (the browser build
    // of tma-pay/testing), so Storybook needs no `npm run build` first.
    return mergeConfig(viteConfig, {
      build: {
        // Storybook's preview bundle is big by nature; its size is not ours to watch (scripts/size.mjs is).
        chunkSizeWarningLimit: 4000,
        rolldownOptions: {
          // 'use client' atop our React files (and React Query's) is for Next.js; a bundle drops it, noisily.
          // (Storybook's builder ignores the `build` section of vite.config.ts, so it is repeated here.)
          onLog(level, log, handler) {
            if (log.code !== 'MODULE_LEVEL_DIRECTIVE') handler(level, log)
          },
        },
      },
      resolve: {
        alias: [
          { find: /^tma-pay$/, replacement: src('core/index.ts') },
          { find: /^tma-pay\/live$/, replacement: src('core/live.ts') },
          { find: /^tma-pay\/react$/, replacement: src('react/index.ts') },
          { find: /^tma-pay\/react\/locales$/, replacement: src('react/locales.ts') },
          { find: /^tma-pay\/react\/subscriptions$/, replacement: src('react/subscriptions.ts') },
          { find: /^tma-pay\/testing$/, replacement: src('testing/browser.ts') },
        ],
      },
    })
  },
}

export default config
