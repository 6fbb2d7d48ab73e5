'use client'
import type { RefObject } from 'react'
import { useLayoutEffect, useRef } from './peers'

/** A ref that always holds the last committed `value`, so callbacks called later are never stale. */
export function useLatest<T>(value: T): RefObject<T> {
  const ref = useRef(value)
  useLayoutEffect(() => {
    ref.current = value
  })
  return ref
}
