// The PGlite driver's queries go as one wire-protocol call each on named prepared statements (issue 14): values and
// rows come and go as PGlite's own `query` gives them, errors keep their codes, a plan a migration made stale is
// prepared again, transactions commit or roll back whole, and the statements kept are bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pgliteDriver } from '../../src/server/store/pglite'
import type { SqlDriver } from '../../src/server/store/sql'

describe('the PGlite driver', () => {
  let db: SqlDriver
  beforeAll(async () => {
    db = await pgliteDriver('memory://')
    await db.query(
      'create table t (id text primary key, n bigint, at timestamptz, j jsonb, ok boolean, tags text[])',
    )
  })
  afterAll(() => db.close())

  it('passes values and reads rows back as PGlite does, the first time and when prepared', async () => {
    const at = new Date('2026-12-01T10:00:00.123Z')
    for (const id of ['a', 'b']) {
      await db.query('insert into t (id, n, at, j, ok, tags) values ($1, $2, $3, $4, $5, $6)', [
        id,
        9_007_199_254_740_993n,
        at,
        { nested: [1, 'x'], quote: '"' },
        true,
        ['x', 'y z'],
      ])
    }
    await db.query('insert into t (id, n) values ($1, $2)', ['c', null])
    const rows = await db.query('select * from t where id = any($1) order by id', [['a', 'b', 'c']])
    expect(rows).toEqual([
      {
        id: 'a',
        n: 9_007_199_254_740_993n,
        at,
        j: { nested: [1, 'x'], quote: '"' },
        ok: true,
        tags: ['x', 'y z'],
      },
      expect.objectContaining({ id: 'b', n: 9_007_199_254_740_993n }),
      { id: 'c', n: null, at: null, j: null, ok: null, tags: null },
    ])
    // A statement with no rows to give, and one with no parameters.
    expect(await db.query('update t set ok = false where id = $1', ['zzz'])).toEqual([])
    expect(await db.query('select count(*)::int as count from t')).toEqual([{ count: 3 }])
  })

  it('keeps the error code of a failed statement, and a failed statement stays usable', async () => {
    const insert = 'insert into t (id) values ($1)'
    await db.query(insert, ['dup'])
    await expect(db.query(insert, ['dup'])).rejects.toMatchObject({ code: '23505' })
    await expect(db.query('select * from nowhere where id = $1', ['x'])).rejects.toMatchObject({
      code: '42P01',
    })
    await db.query('create table nowhere (id text)')
    expect(await db.query('select * from nowhere where id = $1', ['x'])).toEqual([])
    await db.query(insert, ['dup2'])
  })

  it('prepares a statement again once a migration changed the columns it reads', async () => {
    await db.query('create table m (id text)')
    await db.query('insert into m values ($1)', ['one'])
    const read = 'select * from m where id = $1'
    expect(await db.query(read, ['one'])).toEqual([{ id: 'one' }])
    await db.query("alter table m add column note text not null default 'new'")
    expect(await db.query(read, ['one'])).toEqual([{ id: 'one', note: 'new' }])
  })

  it('commits a transaction whole, and rolls it back whole when its work fails', async () => {
    await db.query('create table x (id text primary key)')
    await db.transaction(async (tx) => {
      await tx.query('insert into x values ($1)', ['kept-1'])
      await tx.query('insert into x values ($1)', ['kept-2'])
    })
    await expect(
      db.transaction(async (tx) => {
        await tx.query('insert into x values ($1)', ['undone'])
        await tx.query('insert into x values ($1)', ['kept-1'])
      }),
    ).rejects.toMatchObject({ code: '23505' })
    // Work that swallowed its statement's error: the transaction is aborted, COMMIT rolls it back, and says so.
    await expect(
      db.transaction(async (tx) => {
        await tx.query('insert into x values ($1)', ['undone-too'])
        await tx.query('insert into x values ($1)', ['kept-2']).catch(() => {})
      }),
    ).rejects.toThrow(/rolled back/)
    expect((await db.query('select id from x order by id')).map((row) => row.id)).toEqual([
      'kept-1',
      'kept-2',
    ])
  })

  it('runs queries from concurrent callers one at a time, never inside another caller’s transaction', async () => {
    await db.query('create table c (id int primary key)')
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const transaction = db.transaction(async (tx) => {
      await tx.query('insert into c values ($1)', [1])
      await held
      throw new Error('undo')
    })
    // Issued while the transaction is open: it must not land in it (and be rolled back with it).
    const outside = db.query('insert into c values ($1)', [2])
    release()
    await expect(transaction).rejects.toThrow('undo')
    await outside
    expect(await db.query('select id from c')).toEqual([{ id: 2 }])
  })

  it('keeps at most 500 statements prepared, and an evicted one still runs', async () => {
    for (let i = 0; i < 520; i++)
      expect(await db.query(`select $1::int + ${i} as v`, [1])).toEqual([{ v: i + 1 }])
    const prepared = await db.query<{ count: number }>(
      "select count(*)::int as count from pg_prepared_statements where name like 'tma_pay_%'",
    )
    expect(prepared[0]?.count).toBeLessThanOrEqual(501)
    expect(await db.query('select $1::int + 0 as v', [5])).toEqual([{ v: 5 }])
  })
})
