/**
 * The fault proxy in front of the shared PostgreSQL and MariaDB servers (only the proxy's own
 * connections are cut): it forwards, cuts, stalls and resumes, and loses COMMIT replies after the
 * commit happened, for plain COMMITs, drizzle transactions and PostgreSQL's extended protocol, and
 * on PostgreSQL the replies of writes that commit on their own (sent outside a transaction).
 */
import { sql } from 'drizzle-orm'
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2'
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { uniqueTableName } from '../../sql/backends.js'
import { reachableServerUrl } from '../../sql/servers.js'
import { isCommitStatement, statementKind } from './commit-detectors.js'
import { startFaultProxy, type FaultProxy } from './proxy.js'

/** Polls `condition` until it holds; the proxy's counters move on events, not on time. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5))
}

function throughProxy(url: string, proxy: FaultProxy): string {
  const parsed = new URL(url)
  parsed.hostname = '127.0.0.1'
  parsed.port = String(proxy.port)
  return parsed.toString()
}

function targetOf(url: string): { targetHost: string; targetPort: number; defaultPort: number } {
  const parsed = new URL(url)
  const defaultPort = parsed.protocol.startsWith('postgres') ? 5432 : 3306
  return { targetHost: parsed.hostname, targetPort: Number(parsed.port || defaultPort), defaultPort }
}

describe('commit statement recognition', () => {
  it('tells transaction control, writes (a writing CTE included) and reads apart', () => {
    const texts = ['BEGIN', 'start transaction', 'commit', 'rollback', 'update t set v = 1', ' INSERT into t values (1)', 'with c as (update t set v = 1 returning v) select * from c', 'with c as (select 1) select * from c', 'select 1']
    expect(texts.map(statementKind)).toEqual(['begin', 'begin', 'commit', 'rollback', 'write', 'write', 'write', 'other', 'other'])
  })

  it('recognises COMMIT in any case, with WORK, TRANSACTION or a semicolon, and END', () => {
    expect(['commit', 'COMMIT;', ' Commit Work ', 'commit transaction', 'end', 'begin', 'commit; select 1', 'rollback'].map(isCommitStatement)).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ])
  })
})

const postgresUrl = await reachableServerUrl('PostgreSQL')
if (postgresUrl) {
  describe('fault proxy in front of PostgreSQL', () => {
    let proxy: FaultProxy
    let direct: pg.Pool
    const table = uniqueTableName('fp_pg')
    const connect = async () => {
      const client = new pg.Client({ connectionString: throughProxy(postgresUrl, proxy) })
      client.on('error', () => undefined)
      await client.connect()
      return client
    }
    const rowsWith = async (value: string) => Number((await direct.query<{ n: number }>(`select count(*)::int as n from ${table} where v = $1`, [value])).rows[0]!.n)

    beforeAll(async () => {
      const { targetHost, targetPort } = targetOf(postgresUrl)
      proxy = await startFaultProxy({ targetHost, targetPort, protocol: 'postgres' })
      direct = new pg.Pool({ connectionString: postgresUrl, max: 2 })
      await direct.query(`create table ${table} (v text not null)`)
    })
    afterAll(async () => {
      await proxy.close()
      await direct.query(`drop table if exists ${table}`)
      await direct.end()
    })

    it('forwards queries and answers', async () => {
      const client = await connect()
      expect((await client.query<{ answer: number }>('select 41 + 1 as answer')).rows).toEqual([{ answer: 42 }])
      await client.end()
    })

    it('cuts open connections, whose next query fails, and accepts new ones', async () => {
      const client = await connect()
      await client.query('select 1')
      expect(proxy.cutAll()).toBeGreaterThanOrEqual(1)
      await expect(client.query('select 1')).rejects.toThrow()
      const fresh = await connect()
      expect((await fresh.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }])
      await fresh.end()
    })

    it('holds a query sent during a stall, keeping the connection open, and answers it on resume', async () => {
      const client = await connect()
      let answered = false
      proxy.stall()
      const held = proxy.stats.heldChunks
      const query = client.query<{ two: number }>('select 2 as two').then((result) => {
        answered = true
        return result.rows
      })
      await until(() => proxy.stats.heldChunks > held)
      const answeredBeforeResume = answered
      proxy.resume()
      expect(await query).toEqual([{ two: 2 }])
      expect(answeredBeforeResume).toBe(false)
      await client.end()
    })

    it('loses the reply of a simple-query COMMIT after the commit happened', async () => {
      const client = await connect()
      const lostBefore = proxy.stats.lostCommitReplies
      await client.query('begin')
      await client.query(`insert into ${table} (v) values ('simple')`)
      proxy.loseNextCommitReply()
      await expect(client.query('commit')).rejects.toThrow()
      expect([proxy.stats.lostCommitReplies - lostBefore, await rowsWith('simple')]).toEqual([1, 1])
    })

    it('loses the reply of a COMMIT prepared in the extended protocol after the commit happened', async () => {
      const client = await connect()
      await client.query('begin')
      await client.query({ text: `insert into ${table} (v) values ($1)`, values: ['extended'] })
      proxy.loseNextCommitReply()
      await expect(client.query({ name: 'fault_proxy_commit', text: 'commit' })).rejects.toThrow()
      expect(await rowsWith('extended')).toBe(1)
    })

    it('loses the reply of a drizzle transaction commit, which rejects although its rows are in', async () => {
      const pool = new pg.Pool({ connectionString: throughProxy(postgresUrl, proxy), max: 1 })
      pool.on('error', () => undefined)
      pool.on('connect', (client) => client.on('error', () => undefined))
      const db = drizzleNodePg({ client: pool })
      proxy.loseNextCommitReply()
      await expect(db.transaction(async (tx) => tx.execute(sql.raw(`insert into ${table} (v) values ('drizzle')`)))).rejects.toThrow()
      expect(await rowsWith('drizzle')).toBe(1)
      await pool.end()
    })

    it('loses the reply of a write outside a transaction, which committed on its own, and counts no write inside one', async () => {
      const client = await connect()
      const commitsBefore = proxy.stats.commits
      await client.query('begin')
      await client.query({ text: `insert into ${table} (v) values ($1)`, values: ['inside'] })
      await client.query('rollback')
      expect(proxy.stats.commits - commitsBefore).toBe(0)
      proxy.loseNextCommitReply()
      await expect(client.query({ text: `insert into ${table} (v) values ($1)`, values: ['autocommit'] })).rejects.toThrow()
      expect([proxy.stats.commits - commitsBefore, await rowsWith('inside'), await rowsWith('autocommit')]).toEqual([1, 0, 1])
    })

    it('loses commit replies at the rate set, and none at rate 0', async () => {
      const client = await connect()
      const commitsBefore = proxy.stats.commits
      proxy.setLostCommitReplyRate(0)
      for (let index = 0; index < 3; index++) {
        await client.query('begin')
        await client.query('commit')
      }
      proxy.setLostCommitReplyRate(1)
      await client.query('begin')
      await expect(client.query('commit')).rejects.toThrow()
      proxy.setLostCommitReplyRate(0)
      expect(proxy.stats.commits - commitsBefore).toBe(4)
    })
  })
}

const mariaDbUrl = await reachableServerUrl('MariaDB')
if (mariaDbUrl) {
  describe('fault proxy in front of MariaDB', () => {
    let proxy: FaultProxy
    let direct: mysql.Pool
    const table = uniqueTableName('fp_my')
    const connect = () => mysql.createConnection({ uri: throughProxy(mariaDbUrl, proxy) })
    const rowsWith = async (value: string) => {
      const [rows] = await direct.query<Array<mysql.RowDataPacket>>(`select count(*) as n from ${table} where v = ?`, [value])
      return Number(rows[0]!.n)
    }

    beforeAll(async () => {
      const { targetHost, targetPort } = targetOf(mariaDbUrl)
      proxy = await startFaultProxy({ targetHost, targetPort, protocol: 'mysql' })
      direct = mysql.createPool({ uri: mariaDbUrl, connectionLimit: 2 })
      await direct.query(`create table ${table} (v varchar(32) not null)`)
    })
    afterAll(async () => {
      await proxy.close()
      await direct.query(`drop table if exists ${table}`)
      await direct.end()
    })

    it('forwards queries and answers', async () => {
      const connection = await connect()
      const [rows] = await connection.query<Array<mysql.RowDataPacket>>('select 41 + 1 as answer')
      expect(rows.map((row) => Number(row.answer))).toEqual([42])
      await connection.end()
    })

    it('cuts open connections, whose next query fails, and accepts new ones', async () => {
      const connection = await connect()
      connection.on('error', () => undefined)
      expect(proxy.cutAll()).toBeGreaterThanOrEqual(1)
      await expect(connection.query('select 1')).rejects.toThrow()
      const fresh = await connect()
      const [rows] = await fresh.query<Array<mysql.RowDataPacket>>('select 1 as one')
      expect(rows.map((row) => Number(row.one))).toEqual([1])
      await fresh.end()
    })

    it('holds a query sent during a stall, keeping the connection open, and answers it on resume', async () => {
      const connection = await connect()
      let answered = false
      proxy.stall()
      const held = proxy.stats.heldChunks
      const query = connection.query<Array<mysql.RowDataPacket>>('select 2 as two').then(([rows]) => {
        answered = true
        return rows.map((row) => Number(row.two))
      })
      await until(() => proxy.stats.heldChunks > held)
      const answeredBeforeResume = answered
      proxy.resume()
      expect(await query).toEqual([2])
      expect(answeredBeforeResume).toBe(false)
      await connection.end()
    })

    it('loses the reply of a COMMIT after the commit happened', async () => {
      const connection = await connect()
      connection.on('error', () => undefined)
      await connection.query('begin')
      await connection.query(`insert into ${table} (v) values ('plain')`)
      proxy.loseNextCommitReply()
      await expect(connection.query('commit')).rejects.toThrow()
      expect(await rowsWith('plain')).toBe(1)
    })

    it('loses the reply of a drizzle transaction commit, which rejects although its rows are in', async () => {
      const pool = mysql.createPool({ uri: throughProxy(mariaDbUrl, proxy), connectionLimit: 1 })
      const db = drizzleMysql({ client: pool })
      const lostBefore = proxy.stats.lostCommitReplies
      proxy.loseNextCommitReply()
      await expect(db.transaction(async (tx) => tx.execute(sql.raw(`insert into ${table} (v) values ('drizzle')`)))).rejects.toThrow()
      expect([proxy.stats.lostCommitReplies - lostBefore, await rowsWith('drizzle')]).toEqual([1, 1])
      await pool.end()
    })
  })
}
