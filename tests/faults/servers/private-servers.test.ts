/**
 * The private server instances of the fault suite: each serves database `test`, keeps its data
 * across a clean and a crash restart on the same port, kills the connections it is asked to, and
 * leaves no folder behind.
 */
import { existsSync } from 'node:fs'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { startPrivateServerOrSkip } from './availability.js'
import { startPrivateMariaDb } from './private-mariadb.js'
import { startPrivatePostgres } from './private-postgres.js'
import type { PrivateServer } from './private-server.js'

/** A client connection reduced to what these tests do: run a statement, read its first value. */
type Connection = { first(statement: string): Promise<unknown>; end(): Promise<void> }

async function openPostgres(server: PrivateServer): Promise<Connection> {
  const client = new pg.Client({ connectionString: server.url })
  client.on('error', () => undefined)
  await client.connect()
  return {
    first: async (statement) => Object.values((await client.query<Record<string, unknown>>(statement)).rows[0] ?? {})[0],
    end: () => client.end().catch(() => undefined),
  }
}

async function openMariaDb(server: PrivateServer): Promise<Connection> {
  const connection = await mysql.createConnection({ uri: server.url })
  connection.on('error', () => undefined)
  return {
    first: async (statement) => {
      const [rows] = await connection.query<Array<mysql.RowDataPacket>>(statement)
      return Array.isArray(rows) ? Object.values(rows[0] ?? {})[0] : undefined
    },
    end: () => connection.end().catch(() => undefined),
  }
}

const kinds = [
  { kind: 'PostgreSQL' as const, start: startPrivatePostgres, open: openPostgres, idQuery: 'select pg_backend_pid()' },
  { kind: 'MariaDB' as const, start: startPrivateMariaDb, open: openMariaDb, idQuery: 'select connection_id()' },
]

for (const { kind, start, open, idQuery } of kinds) {
  const server = await startPrivateServerOrSkip(kind, start)
  if (!server) continue
  describe(`private ${kind} instance`, () => {
    afterAll(async () => {
      await server.stop()
    })

    it('keeps its rows across a clean restart and a crash restart on the same port', async () => {
      const writer = await open(server)
      await writer.first('create table kept (v int)')
      await writer.first('insert into kept values (7)')
      await writer.end()
      await server.restart({ downMs: 100 })
      await server.restart({ crash: true })
      const reader = await open(server)
      expect(Number(await reader.first('select v from kept'))).toBe(7)
      await reader.end()
    })

    it('kills the connections it is asked to and no others', async () => {
      const victim = await open(server)
      const bystander = await open(server)
      const victimId = Number(await victim.first(idQuery))
      expect(await server.killConnections((connection) => connection.id === victimId)).toBe(1)
      await expect(victim.first('select 1')).rejects.toThrow()
      expect(Number(await bystander.first('select 1'))).toBe(1)
      await bystander.end()
    })

    it('stops and removes its folder', async () => {
      await server.stop()
      expect(existsSync(server.folder)).toBe(false)
    })
  })
}
