/**
 * Waits `ms`. An abort ends the wait at once, rejecting with the signal's reason, and stops the timer;
 * a finished wait stops listening, so a long-lived signal (a whole payment's) does not gather listeners.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    // An aborted signal throws here, which rejects the promise with its reason.
    signal?.throwIfAborted()
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
