/**
 * The backends the SQL suites run on, each opened on its own table so test files run in parallel:
 * SQLite (better-sqlite3 in memory and on a WAL file, libsql on a file), PGlite, PostgreSQL and
 * MariaDB. Every driver client is wrapped by a {@link StatementCounter}.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { createClient } from '@libsql/client'
import Database from 'better-sqlite3'
import { getTableName, sql, type SQL, type Table } from 'drizzle-orm'
import { drizzle as drizzleBetterSqlite } from 'drizzle-orm/better-sqlite3'
import { drizzle as drizzleLibsql } from 'drizzle-orm/libsql'
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2'
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import mysql from 'mysql2/promise'
import pg from 'pg'
import type { SqlTaskExecutionsStorage, SqlTaskExecutionsStorageOptions } from '../../src/common/index.js'
import {
  createMySqlTaskExecutionsStorage,
  createMySqlTaskExecutionsTable,
  ensureMySqlTaskExecutionsTables,
  type AnyMySqlDatabase,
} from '../../src/mysql.js'
import {
  createPgTaskExecutionsStorage,
  createPgTaskExecutionsTable,
  ensurePgTaskExecutionsTables,
  type AnyPgDatabase,
} from '../../src/pg.js'
import {
  createSQLiteTaskExecutionsStorage,
  createSQLiteTaskExecutionsTable,
  ensureSQLiteTaskExecutionsTables,
  type AnySQLiteDatabase,
} from '../../src/sqlite.js'
import { countCalls, countMysqlPoolQueries, countPgPoolQueries } from './driver-recording.js'
import { StatementCounter } from './statement-counter.js'

/** A storage over an empty table, the statements its driver ran, and how to release both. */
export type OpenedBackend<TDb = unknown> = {
  readonly db: TDb
  readonly storage: SqlTaskExecutionsStorage<TDb>
  readonly statements: StatementCounter
  /** Closes the connection, and drops the table unless it was opened `'reused'`. */
  close(): Promise<void>
}

/**
 * How `open` gets its table. `'fresh'` (the default): created, and dropped by `close`. `'reused'`:
 * kept by `close`, so that a later `open` of the same name on this backend only deletes its rows
 * (on a loaded machine a fresh open and close took a median 300 ms on PostgreSQL and 110 ms on
 * MariaDB, a reused one 55 ms and 10 ms); `dropTable` drops it at the end. The SQLite backends
 * open a new database each time, so their tables are always new.
 */
export type TableUse = 'fresh' | 'reused'

/** One backend: a name for test titles and a way to open it on a table. */
export type SqlBackend<TDb = unknown> = {
  readonly name: string
  readonly dialect: 'pg' | 'mysql' | 'sqlite'
  open(tableName: string, options?: SqlTaskExecutionsStorageOptions, use?: TableUse): Promise<OpenedBackend<TDb>>
  /** Drops a table opened `'reused'` (a no-op where each open has its own database). */
  dropTable(tableName: string): Promise<void>
}

/** The value of `retry_attempts` that {@link rejectRetryAttemptsValue} makes the database refuse. */
export const RETRY_ATTEMPTS_THE_DATABASE_REFUSES = 999

/**
 * Adds a CHECK constraint refusing one valid `retry_attempts` value (PostgreSQL and MySQL), so a
 * test can have the database reject one request of a batch that the storage's own checks accept.
 */
export async function rejectRetryAttemptsValue(opened: OpenedBackend<unknown>, tableName: string): Promise<void> {
  const db = opened.db as { execute(query: SQL): Promise<unknown> }
  // Test-only constraint: the one way left to make the database refuse a well-typed value.
  await db.execute(
    sql`alter table ${sql.identifier(tableName)} add constraint ${sql.identifier(`${tableName}_ck`)} check (retry_attempts <> ${sql.raw(String(RETRY_ATTEMPTS_THE_DATABASE_REFUSES))})`,
  )
}

/** A table name unique to this process and call, within every dialect's length limit. */
export function uniqueTableName(prefix: string): string {
  return `${prefix}_${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`.slice(0, 24)
}

const TEST_MODE: SqlTaskExecutionsStorageOptions = { enableTestMode: true }

type StatementRunner = { execute(query: SQL): Promise<unknown> }

/**
 * Readies `table` for an open of the given use on a server or PGlite: its rows deleted when
 * `reusable` (this backend's tables opened `'reused'` and not dropped) holds it, else created.
 */
async function prepareTable(
  db: StatementRunner,
  table: Table,
  use: TableUse,
  reusable: Set<string>,
  ensure: () => Promise<void>,
): Promise<void> {
  const name = getTableName(table)
  if (use === 'reused' && reusable.has(name)) {
    // Emptied for the next test. Nothing of the previous one still writes: its executors are shut down, and on servers its pool is ended.
    await db.execute(sql`delete from ${table}`)
    return
  }
  // A table of the same name left by an interrupted run would otherwise keep its rows.
  await db.execute(sql`drop table if exists ${table}`)
  await ensure()
  if (use === 'reused') reusable.add(name)
}

/** Closes an opened table's connection, dropping the table first unless it is kept for reuse. */
async function releaseTable(db: StatementRunner, table: Table, use: TableUse, endConnection: () => Promise<void>): Promise<void> {
  try {
    // The test's table goes with it (kept when the file reuses it).
    if (use === 'fresh') await db.execute(sql`drop table if exists ${table}`)
  } finally {
    await endConnection()
  }
}

function temporaryDatabaseFile(): { path: string; remove: () => void } {
  const directory = mkdtempSync(join(tmpdir(), 'de-sqlite-'))
  return { path: join(directory, 'db.sqlite'), remove: () => rmSync(directory, { recursive: true, force: true }) }
}

function betterSqliteBackend(name: string, onFile: boolean): SqlBackend<AnySQLiteDatabase> {
  return {
    name,
    dialect: 'sqlite',
    async open(tableName, options = TEST_MODE) {
      const file = onFile ? temporaryDatabaseFile() : undefined
      const client = new Database(file?.path ?? ':memory:')
      if (file) client.pragma('journal_mode = WAL')
      const statements = new StatementCounter()
      countCalls(client, 'prepare', statements)
      const db = drizzleBetterSqlite({ client })
      const table = createSQLiteTaskExecutionsTable(tableName)
      await ensureSQLiteTaskExecutionsTables(db, [table])
      statements.reset()
      return {
        db,
        storage: createSQLiteTaskExecutionsStorage(db, table, options),
        statements,
        async close() {
          client.close()
          file?.remove()
        },
      }
    },
    async dropTable() {},
  }
}

/** better-sqlite3 on an in-memory database. */
export const sqliteMemoryBackend = betterSqliteBackend('sqlite (better-sqlite3, :memory:)', false)

/** better-sqlite3 on a temporary file in WAL mode. */
export const sqliteWalFileBackend = betterSqliteBackend('sqlite (better-sqlite3, WAL file)', true)

/** libsql on a temporary file (libsql's `:memory:` loses the database after a transaction). */
export const libsqlFileBackend: SqlBackend<AnySQLiteDatabase> = {
  name: 'sqlite (libsql, file)',
  dialect: 'sqlite',
  async open(tableName, options = TEST_MODE) {
    const file = temporaryDatabaseFile()
    const client = createClient({ url: `file:${file.path}` })
    await client.execute('pragma journal_mode = wal')
    const statements = new StatementCounter()
    countCalls(client, 'execute', statements)
    // Statements inside a transaction go through the transaction object drizzle gets from the client.
    const openTransaction = client.transaction.bind(client)
    client.transaction = (async (...args: Parameters<typeof client.transaction>) => {
      const transaction = await openTransaction(...args)
      countCalls(transaction, 'execute', statements)
      return transaction
    })
    const db = drizzleLibsql({ client })
    const table = createSQLiteTaskExecutionsTable(tableName)
    await ensureSQLiteTaskExecutionsTables(db, [table])
    statements.reset()
    return {
      db,
      storage: createSQLiteTaskExecutionsStorage(db, table, options),
      statements,
      async close() {
        client.close()
        file.remove()
      },
    }
  },
  async dropTable() {},
}

/**
 * PGlite, one instance per test file (it takes about two seconds to start): every table opened
 * in the file shares it. Statements are counted per opened table.
 */
export function pgliteBackend(): SqlBackend<AnyPgDatabase> & { shutdown(): Promise<void> } {
  let client: PGlite | undefined
  let current: StatementCounter | undefined
  const started = () => {
    if (client) return client
    client = new PGlite()
    const counted = client
    const record = (statement: unknown) => current?.record(statement)
    const query = counted.query.bind(counted)
    counted.query = ((text: string, ...rest: Array<never>) => {
      record(text)
      return query(text, ...rest)
    }) as typeof counted.query
    const transaction = counted.transaction.bind(counted)
    counted.transaction = ((fn: (tx: Parameters<Parameters<PGlite['transaction']>[0]>[0]) => Promise<unknown>) =>
      transaction((tx) => {
        record('begin')
        countCalls(tx, 'query', { record })
        return fn(tx)
      })) as typeof counted.transaction
    return counted
  }
  const reusable = new Set<string>()
  return {
    name: 'pg (PGlite)',
    dialect: 'pg',
    async open(tableName, options = TEST_MODE, use = 'fresh') {
      const db = drizzlePglite({ client: started() })
      const table = createPgTaskExecutionsTable(tableName)
      await prepareTable(db, table, use, reusable, () => ensurePgTaskExecutionsTables(db, [table]))
      const statements = new StatementCounter()
      current = statements
      return {
        db,
        storage: createPgTaskExecutionsStorage(db, table, options),
        statements,
        // The instance stays open for the file's other tables.
        close: () => releaseTable(db, table, use, async () => {}),
      }
    },
    async dropTable(tableName) {
      reusable.delete(tableName)
      if (client === undefined) return
      // The file is done with the table.
      await drizzlePglite({ client }).execute(sql`drop table if exists ${sql.identifier(tableName)}`)
    },
    async shutdown() {
      await client?.close()
    },
  }
}


/** PostgreSQL at `url` through a node-postgres pool. */
export function postgresBackend(url: string): SqlBackend<AnyPgDatabase> {
  const reusable = new Set<string>()
  return {
    name: 'pg (PostgreSQL server)',
    dialect: 'pg',
    async open(tableName, options = TEST_MODE, use = 'fresh') {
      const pool = new pg.Pool({ connectionString: url, max: 10 })
      const statements = new StatementCounter()
      countPgPoolQueries(pool, statements)
      const db = drizzleNodePg({ client: pool })
      const table = createPgTaskExecutionsTable(tableName)
      await prepareTable(db, table, use, reusable, () => ensurePgTaskExecutionsTables(db, [table]))
      statements.reset()
      return {
        db,
        storage: createPgTaskExecutionsStorage(db, table, options),
        statements,
        close: () => releaseTable(db, table, use, () => pool.end()),
      }
    },
    async dropTable(tableName) {
      reusable.delete(tableName)
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        // The file is done with the table.
        await drizzleNodePg({ client }).execute(sql`drop table if exists ${sql.identifier(tableName)}`)
      } finally {
        await client.end()
      }
    },
  }
}

/** MariaDB (or MySQL) at `url` through a mysql2 pool. */
export function mariaDbBackend(url: string): SqlBackend<AnyMySqlDatabase> {
  const reusable = new Set<string>()
  return {
    name: 'mysql (MariaDB server)',
    dialect: 'mysql',
    async open(tableName, options = TEST_MODE, use = 'fresh') {
      const pool = mysql.createPool({ uri: url, connectionLimit: 10 })
      const statements = new StatementCounter()
      countMysqlPoolQueries(pool, statements)
      const db = drizzleMysql({ client: pool })
      const table = createMySqlTaskExecutionsTable(tableName)
      await prepareTable(db, table, use, reusable, () => ensureMySqlTaskExecutionsTables(db, [table]))
      statements.reset()
      return {
        db,
        storage: createMySqlTaskExecutionsStorage(db, table, options),
        statements,
        close: () => releaseTable(db, table, use, () => pool.end()),
      }
    },
    async dropTable(tableName) {
      reusable.delete(tableName)
      const connection = await mysql.createConnection({ uri: url })
      try {
        // The file is done with the table.
        await drizzleMysql({ client: connection }).execute(sql`drop table if exists ${sql.identifier(tableName)}`)
      } finally {
        await connection.end()
      }
    },
  }
}
