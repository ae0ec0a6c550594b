/**
 * Raw statements run on mysql2's client (without drizzle's per-field typeCast) read exactly what
 * drizzle's `execute` reads, date and time types included, in and out of a transaction, and
 * drizzle's query logger still hears them.
 */
import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/mysql2'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { executeOnMysql2Client } from '../../src/sql/mysql2-client.js'
import { uniqueTableName } from './backends.js'
import { reachableServerUrl } from './servers.js'

const url = await reachableServerUrl('MariaDB')

describe.runIf(url !== undefined)('statements on the mysql2 client', () => {
  const tableName = uniqueTableName('mysql2_client')
  const table = sql.identifier(tableName)
  const logged: Array<string> = []
  const pool = mysql.createPool({ uri: url!, connectionLimit: 2 })
  const db = drizzle(pool, { mode: 'default', logger: { logQuery: (query) => void logged.push(query) } })
  const select = sql`select * from ${table} order by id`

  beforeAll(async () => {
    await db.execute(sql`create table ${table} (
      id bigint not null auto_increment primary key,
      label varchar(64), amount bigint, flag tinyint(1), body json, note text,
      day date, moment datetime(3), stamp timestamp(3) null, ratio double
    )`)
    await db.execute(sql`insert into ${table} (label, amount, flag, body, note, day, moment, stamp, ratio) values
      ('first', 9007199254740991, 1, '{"a":[1,2]}', 'x', '2026-12-07', '2026-12-07 01:02:03.456', '2026-12-07 01:02:03.456', 0.5),
      (null, null, null, null, null, null, null, null, null)`)
  })
  afterAll(async () => {
    await db.execute(sql`drop table if exists ${table}`)
    await pool.end()
  })

  it('reads the rows drizzle reads, date and time columns as strings', async () => {
    const [direct] = (await executeOnMysql2Client(db, select)) as [Array<Record<string, unknown>>]
    const [viaDrizzle] = (await db.execute(select)) as unknown as [Array<Record<string, unknown>>]
    expect(direct).toEqual(viaDrizzle)
    expect(direct[0]).toMatchObject({ label: 'first', amount: 9007199254740991, day: '2026-12-07', moment: '2026-12-07 01:02:03.456' })
  })

  it('runs in a transaction on its connection, and the logger hears it', async () => {
    logged.length = 0
    await db.transaction(async (tx) => {
      await executeOnMysql2Client(tx, sql`update ${table} set note = 'in tx' where id = 1`)
      const [inside] = (await executeOnMysql2Client(tx, sql`select note from ${table} where id = 1`)) as [Array<{ note: string }>]
      expect(inside).toEqual([{ note: 'in tx' }])
      // Another connection does not see the uncommitted write: the statements ran on the transaction's.
      const [outside] = (await executeOnMysql2Client(db, sql`select note from ${table} where id = 1`)) as [Array<{ note: string }>]
      expect(outside).toEqual([{ note: 'x' }])
      tx.rollback()
    }).catch((error: unknown) => {
      if (!(error instanceof Error) || !/rollback/i.test(error.message)) throw error
    })
    expect(logged.filter((query) => query.includes(tableName))).toHaveLength(3)
  })
})
