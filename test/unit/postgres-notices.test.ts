// The PostgreSQL driver hands a NOTIFY its own statement made to this process's listeners as the statement commits
// (issue 14), instead of waiting for it to come back through the server (a millisecond or several later, as the
// listening backend wakes): only once committed, never for a rolled-back transaction, and a listener's failure
// never fails the write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresDriver } from '../../src/server/store/postgres'
import type { SqlDriver } from '../../src/server/store/sql'
import { freshPostgresDatabase, postgresAvailable } from '../helpers/databases'

// No pg_notify in these statements: whatever a listener hears came from the driver itself.
const notice = (channel: string, payload: string) =>
  `select '${channel}' as tma_pay_channel, '${payload}' as tma_pay_notice`

describe.skipIf(!postgresAvailable)('the PostgreSQL driver’s own notices', () => {
  let db: SqlDriver
  let drop: () => Promise<void>
  beforeAll(async () => {
    const database = await freshPostgresDatabase()
    drop = database.drop
    db = postgresDriver(database.url)
  })
  afterAll(async () => {
    await db?.close()
    await drop?.()
  })

  it('hands a statement’s notice to this process’s listeners of its channel before the statement resolves', async () => {
    const heard: string[] = []
    const other: string[] = []
    const stop = await db.listen('tma_pay_test_a', (payload) => heard.push(payload))
    const stopOther = await db.listen('tma_pay_test_b', (payload) => other.push(payload))
    await db.query(notice('tma_pay_test_a', 'one'))
    expect(heard).toEqual(['one'])
    expect(other).toEqual([])
    await stop()
    await db.query(notice('tma_pay_test_a', 'after'))
    expect(heard).toEqual(['one'])
    await stopOther()
  })

  it('in a transaction, only once it has committed; never for one rolled back', async () => {
    const heard: string[] = []
    const stop = await db.listen('tma_pay_test_c', (payload) => heard.push(payload))
    await db.transaction(async (tx) => {
      await tx.query(notice('tma_pay_test_c', 'kept'))
      expect(heard).toEqual([])
    })
    expect(heard).toEqual(['kept'])
    await expect(
      db.transaction(async (tx) => {
        await tx.query(notice('tma_pay_test_c', 'undone'))
        throw new Error('roll back')
      }),
    ).rejects.toThrow('roll back')
    expect(heard).toEqual(['kept'])
    await stop()
  })

  it('a listener that throws does not fail the write, and the others still hear it', async () => {
    const heard: string[] = []
    const stopThrowing = await db.listen('tma_pay_test_d', () => {
      throw new Error('listener trouble')
    })
    const stop = await db.listen('tma_pay_test_d', (payload) => heard.push(payload))
    await expect(db.query(notice('tma_pay_test_d', 'x'))).resolves.toHaveLength(1)
    expect(heard).toEqual(['x'])
    await stopThrowing()
    await stop()
  })
})
