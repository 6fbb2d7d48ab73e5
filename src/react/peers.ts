'use client'
// The React and React Query functions the kit calls, imported in one place: a bundler keeps one import
// statement per module, so this makes one statement per package for the whole kit instead of one per file.
export {
  QueryClientContext,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query'
export {
  createContext,
  useContext,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
} from 'react'
