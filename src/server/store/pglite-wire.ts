// Queries on PGlite as one call into its WASM each, on named prepared statements. PGlite's own `query` makes six
// calls per query (parse, describe, bind, describe, execute, sync) and parses and plans the statement every time;
// in the server's event loop that is ~0.5 ms a query before any work, and every other request waits behind it.
// This sends the same wire-protocol messages in one buffer, parses each statement once, and turns values to text
// with PGlite's own serializers and rows back with its own parsers, as its `query` does.
import type { PGlite } from '@electric-sql/pglite'
import type { SqlExecutor } from './sql'

type PgliteModule = typeof import('@electric-sql/pglite')
type BackendMessage = Awaited<ReturnType<PGlite['execProtocol']>>['messages'][number]

interface Statement {
  name: string
  /** The parameters' type ids, as PostgreSQL inferred them: they pick each value's serializer. */
  types: number[]
}

/** Statements kept prepared at most; past that the oldest is closed. Ours are a few dozen. */
const MAX_STATEMENTS = 500

/** A plan cached before a migration changed a table's columns: prepared again, once. */
const isStalePlan = (error: unknown) =>
  (error as { code?: unknown }).code === '0A000' && /cached plan/.test(String((error as Error).message))

/**
 * Runs queries on `db` the caller holds exclusively (inside `db.runExclusive`, so nothing of PGlite's own runs in
 * between), without syncing to the file system: the caller syncs once its unit of work is done.
 */
export function pgliteWire(db: PGlite, pglite: PgliteModule) {
  const { serialize } = pglite.protocol
  const statements = new Map<string, Statement>()
  const closing: string[] = []
  let named = 0

  async function send(parts: Uint8Array[]): Promise<BackendMessage[]> {
    const buffer = new Uint8Array(parts.reduce((length, part) => length + part.length, 0))
    let offset = 0
    for (const part of parts) {
      buffer.set(part, offset)
      offset += part.length
    }
    return (await db.execProtocol(buffer, { syncToFs: false })).messages
  }

  async function prepare(text: string): Promise<Statement> {
    const name = `tma_pay_${++named}`
    const closes = closing.splice(0).map((old) => serialize.close({ type: 'S', name: old }))
    const messages = await send([
      ...closes,
      serialize.parse({ name, text, types: [] }),
      serialize.describe({ type: 'S', name }),
      serialize.sync(),
    ])
    const description = messages.find((message) => message.name === 'parameterDescription') as
      | { dataTypeIDs: number[] }
      | undefined
    const statement = { name, types: description?.dataTypeIDs ?? [] }
    statements.set(text, statement)
    if (statements.size > MAX_STATEMENTS) {
      const [oldest] = statements
      if (oldest) {
        statements.delete(oldest[0])
        closing.push(oldest[1].name)
      }
    }
    return statement
  }

  async function execute(statement: Statement, params: unknown[]): Promise<BackendMessage[]> {
    const values = params.map((value, index) => {
      if (value == null) return null
      const serializer = db.serializers[statement.types[index] ?? 0]
      return serializer ? serializer(value) : String(value)
    })
    return send([
      serialize.bind({ statement: statement.name, values }),
      serialize.describe({ type: 'P' }),
      serialize.execute({}),
      serialize.sync(),
    ])
  }

  const executor: SqlExecutor = {
    async query(text, params = []) {
      let messages: BackendMessage[]
      try {
        messages = await execute(statements.get(text) ?? (await prepare(text)), params)
      } catch (error) {
        if (!isStalePlan(error)) throw error
        const stale = statements.get(text)
        statements.delete(text)
        if (stale) closing.push(stale.name)
        messages = await execute(await prepare(text), params)
      }
      return (pglite.parse.parseResults(messages, db.parsers)[0]?.rows ?? []) as never
    },
  }

  return {
    executor,
    /** A statement without parameters by the simple protocol (BEGIN, COMMIT): its command tag. */
    async command(text: string): Promise<string | undefined> {
      const messages = await send([serialize.query(text)])
      const complete = messages.find((message) => message.name === 'commandComplete') as
        | { text: string }
        | undefined
      return complete?.text
    },
  }
}
