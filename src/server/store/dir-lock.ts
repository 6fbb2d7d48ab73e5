import { linkSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** The lock file in a PGlite data directory: the pid of the process that has it open. */
export const LOCK_FILE = 'tma-pay.lock'

const heldHere = new Map<string, string>()
let exitHookInstalled = false

function holderOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim())
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function inUse(dir: string, by: string): Error {
  return new Error(
    `The PGlite data directory ${dir} is in use by ${by} (lock file ${join(dir, LOCK_FILE)}): PGlite lets one process open a directory at a time, and two would corrupt it. Stop the other one or use another directory; for several server instances use PostgreSQL (postgresStore, --store postgres://...).`,
  )
}

/**
 * Takes a PGlite data directory for this process, and returns the way to give it back. PGlite itself
 * opens a directory another process has open without a word (and the two then corrupt it), so the pid
 * goes into a lock file; one whose process is gone (a crash, kill -9) is taken over.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true })
  const key = realpathSync(dir)
  if (heldHere.has(key)) throw inUse(dir, 'this process (close its other store first)')
  const path = join(dir, LOCK_FILE)
  // Written whole under another name, then linked into place: no one ever reads a lock without its pid.
  const staged = join(dir, `${LOCK_FILE}.${process.pid}.${Date.now()}`)
  writeFileSync(staged, `${process.pid}\n`)
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        linkSync(staged, path)
        break
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
        const holder = holderOf(path)
        // Our own pid in a lock this process does not hold is a previous life of it (a container's pid 1).
        if (holder !== undefined && holder !== process.pid && isRunning(holder))
          throw inUse(dir, `process ${holder}`)
        if (attempt >= 3) throw inUse(dir, 'another process starting at the same time')
        rmSync(path, { force: true })
      }
    }
  } finally {
    rmSync(staged, { force: true })
  }
  heldHere.set(key, path)
  if (!exitHookInstalled) {
    exitHookInstalled = true
    // An exit without close() (process.exit, a fatal error) leaves no lock behind either.
    process.once('exit', () => {
      for (const lock of heldHere.values()) rmSync(lock, { force: true })
    })
  }
  return () => {
    if (heldHere.get(key) !== path) return
    heldHere.delete(key)
    if (holderOf(path) === process.pid) rmSync(path, { force: true })
  }
}
