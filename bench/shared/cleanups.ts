import { progress } from './progress'

export type Defer = (undo: () => Promise<unknown> | unknown) => void

/**
 * Runs `body` with a `defer` to register the undo of each thing it starts; the undos run last-first however
 * `body` ends, and one that fails is only reported, so it cannot stop the others (or hide body's own error).
 */
export async function withCleanups<T>(body: (defer: Defer) => Promise<T>): Promise<T> {
  const undos: Array<() => Promise<unknown> | unknown> = []
  try {
    return await body((undo) => undos.push(undo))
  } finally {
    for (const undo of undos.reverse())
      await Promise.resolve()
        .then(undo)
        .catch((error) => progress(`cleanup: ${error}`))
  }
}
