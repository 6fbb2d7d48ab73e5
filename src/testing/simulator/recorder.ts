// Appends every Bot API call, what the simulator answered it, and every update to a JSON-lines file, for
// test/conformance.test.ts to check against the spec after a whole test run. One file per simulator, so
// parallel test workers never interleave.
import { randomBytes } from 'node:crypto'
import { appendFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'

export type RecordedLine =
  | { kind: 'call'; method: string; params: Record<string, unknown> }
  /** The `result` of a call that succeeded: it must be of the method's return type. */
  | { kind: 'result'; method: string; result: unknown }
  | { kind: 'update'; update: object }

export interface Recorder {
  readonly file: string | undefined
  write(line: RecordedLine): void
}

export function createRecorder(dir: string | undefined): Recorder {
  if (!dir) return { file: undefined, write() {} }
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${process.pid}-${randomBytes(6).toString('hex')}.jsonl`)
  // Synchronous appends keep lines whole and in order, and survive a test process that exits abruptly.
  return { file, write: (line) => appendFileSync(file, `${JSON.stringify(line)}\n`) }
}
