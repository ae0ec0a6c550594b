/**
 * The databases a fault scenario runs on, seen from the scenario's own process: the target its
 * workers use (through the fault proxy for servers), the faults it can inject there, and a direct
 * connection that creates the table, enqueues through an executor that is never started, and
 * reads the final rows with plain SQL. That connection survives the faults by retrying.
 */
import Database from 'better-sqlite3'
import { drizzle as drizzleBetterSqlite } from 'drizzle-orm/better-sqlite3'
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2'
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { createSuperjsonSerializer, DurableExecutor, type TaskExecutionsStorage } from '../../src/core/index.js'
import { createMySqlTaskExecutionsStorage, createMySqlTaskExecutionsTable, ensureMySqlTaskExecutionsTables } from '../../src/mysql.js'
import { createPgTaskExecutionsStorage, createPgTaskExecutionsTable, ensurePgTaskExecutionsTables } from '../../src/pg.js'
import { createSQLiteTaskExecutionsStorage, createSQLiteTaskExecutionsTable, ensureSQLiteTaskExecutionsTables } from '../../src/sqlite.js'
import type { FinalRow } from './checker.js'
import type { FaultProxy } from './proxy/proxy.js'
import type { PrivateServer } from './servers/private-server.js'

/** The database-side faults a scenario can inject; absent ones do not apply to the database. */
export type DatabaseFaults = {
  /**
   * Whether pausing one process can stop every process's writes: on a SQLite file the paused
   * process may hold the one write lock, so for the pause every lease elsewhere can lapse too (an
   * outage of the whole database, as far as the other processes can tell).
   */
  pauseStopsEveryWriter?: boolean
  restart?: (options: { downMs: number; crash: boolean }) => Promise<void>
  killConnections?: () => Promise<number>
  proxy?: FaultProxy
}

/** A table prepared for a scenario, seen through the scenario's direct connection. */
export type ScenarioTable = {
  /** An executor on the table that is never started: the scenario enqueues through it. */
  readonly executor: DurableExecutor
  /** The storage under it, for inserting the enqueued rows many at a time. */
  readonly storage: TaskExecutionsStorage
  /** Every row, reduced to what the checker reads. */
  readRows(): Promise<Array<FinalRow>>
  /** How many rows there are and how many are not finished. */
  countRows(): Promise<{ rows: number; unfinished: number }>
  close(): Promise<void>
}

/** A database the scenario runs on. */
export type ScenarioDatabase = {
  readonly name: string
  readonly dialect: 'pg' | 'mysql' | 'sqlite'
  /** The URL (through the proxy, for servers) or file the workers open. */
  readonly workerTarget: string
  readonly faults: DatabaseFaults
  prepare(tableName: string): Promise<ScenarioTable>
}

const FINISHED_LIST = `('completed', 'failed', 'timed_out', 'finalize_failed', 'cancelled')`

/** MariaDB hands `varbinary` status columns back as Buffers; the other dialects as strings. */
type RawRow = { status: string | Uint8Array; input: string; output: string | null; error: unknown }

const serializer = createSuperjsonSerializer()

function toFinalRow(raw: RawRow): FinalRow {
  const input = serializer.deserialize(raw.input) as { key?: unknown }
  const error = typeof raw.error === 'string' ? (JSON.parse(raw.error) as unknown) : raw.error
  const errorMessage = typeof error === 'object' && error !== null ? String((error as { message?: unknown }).message) : undefined
  return {
    key: String(input.key),
    status: typeof raw.status === 'string' ? raw.status : Buffer.from(raw.status).toString('utf8'),
    ...(raw.output === null ? {} : { output: serializer.deserialize(raw.output) }),
    ...(errorMessage === undefined ? {} : { errorMessage }),
  }
}

/** Retries a read that a fault (restart, killed connection) may interrupt, for up to a minute. */
async function retried<T>(read: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 60_000
  for (;;) {
    try {
      return await read()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
}

/** Plain SQL on the scenario's direct connection: the rows of one statement. */
type Query = (text: string) => Promise<Array<Record<string, unknown>>>

async function tableOn(storage: TaskExecutionsStorage, query: Query, quotedTable: string, close: () => Promise<void>): Promise<ScenarioTable> {
  return {
    executor: await DurableExecutor.make(storage, { logLevel: 'error' }),
    storage,
    readRows: async () => (await retried(() => query(`select status, input, output, error from ${quotedTable}`))).map((row) => toFinalRow(row as RawRow)),
    countRows: async () => {
      const [counts] = await retried(() =>
        query(`select count(*) as total, coalesce(sum(case when status in ${FINISHED_LIST} then 0 else 1 end), 0) as unfinished from ${quotedTable}`),
      )
      return { rows: Number(counts?.total), unfinished: Number(counts?.unfinished) }
    },
    close,
  }
}

/** A private PostgreSQL instance, its workers connected through `proxy`. */
export function postgresScenarioDatabase(server: PrivateServer, proxy: FaultProxy): ScenarioDatabase {
  return {
    name: 'PostgreSQL',
    dialect: 'pg',
    workerTarget: `postgres://postgres@127.0.0.1:${proxy.port}/test`,
    faults: { restart: (options) => server.restart(options), killConnections: () => server.killConnections(), proxy },
    async prepare(tableName) {
      const pool = new pg.Pool({ connectionString: server.url, max: 4 })
      // This process must outlive the faults it injects; its clients' errors end only their query.
      pool.on('error', () => undefined)
      pool.on('connect', (client) => client.on('error', () => undefined))
      const db = drizzleNodePg({ client: pool })
      const table = createPgTaskExecutionsTable(tableName)
      await ensurePgTaskExecutionsTables(db, [table])
      const query: Query = async (text) => (await pool.query<Record<string, unknown>>(text)).rows
      return tableOn(createPgTaskExecutionsStorage(db, table), query, `"${tableName}"`, () => pool.end())
    },
  }
}

/** A private MariaDB instance, its workers connected through `proxy`. */
export function mariaDbScenarioDatabase(server: PrivateServer, proxy: FaultProxy): ScenarioDatabase {
  return {
    name: 'MariaDB',
    dialect: 'mysql',
    workerTarget: `mysql://root@127.0.0.1:${proxy.port}/test`,
    faults: { restart: (options) => server.restart(options), killConnections: () => server.killConnections(), proxy },
    async prepare(tableName) {
      const pool = mysql.createPool({ uri: server.url, connectionLimit: 4 })
      const db = drizzleMysql({ client: pool })
      const table = createMySqlTaskExecutionsTable(tableName)
      await ensureMySqlTaskExecutionsTables(db, [table])
      const query: Query = async (text) => (await pool.query<Array<mysql.RowDataPacket>>(text))[0]
      return tableOn(createMySqlTaskExecutionsStorage(db, table), query, `\`${tableName}\``, () => pool.end())
    },
  }
}

/** A SQLite database file in WAL mode, shared by the workers (no database faults apply). */
export function sqliteWalScenarioDatabase(file: string): ScenarioDatabase {
  return {
    name: 'SQLite WAL file',
    dialect: 'sqlite',
    workerTarget: file,
    faults: { pauseStopsEveryWriter: true },
    async prepare(tableName) {
      const client = new Database(file)
      client.pragma('journal_mode = WAL')
      const db = drizzleBetterSqlite({ client })
      const table = createSQLiteTaskExecutionsTable(tableName)
      await ensureSQLiteTaskExecutionsTables(db, [table])
      const query: Query = async (text) => client.prepare(text).all() as Array<Record<string, unknown>>
      return tableOn(createSQLiteTaskExecutionsStorage(db, table), query, `"${tableName}"`, async () => void client.close())
    },
  }
}
