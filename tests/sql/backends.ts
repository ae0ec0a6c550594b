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
import { sql, type SQL } from 'drizzle-orm'
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

/** A storage over a fresh table, the statements its driver ran, and how to release both. */
export type OpenedBackend<TDb = unknown> = {
  readonly db: TDb
  readonly storage: SqlTaskExecutionsStorage<TDb>
  readonly statements: StatementCounter
  /** Drops the table (on servers) and closes the connection. */
  close(): Promise<void>
}

/** One backend: a name for test titles and a way to open it on a table. */
export type SqlBackend<TDb = unknown> = {
  readonly name: string
  readonly dialect: 'pg' | 'mysql' | 'sqlite'
  open(tableName: string, options?: SqlTaskExecutionsStorageOptions): Promise<OpenedBackend<TDb>>
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
  return {
    name: 'pg (PGlite)',
    dialect: 'pg',
    async open(tableName, options = TEST_MODE) {
      const db = drizzlePglite({ client: started() })
      const table = createPgTaskExecutionsTable(tableName)
      await ensurePgTaskExecutionsTables(db, [table])
      const statements = new StatementCounter()
      current = statements
      return {
        db,
        storage: createPgTaskExecutionsStorage(db, table, options),
        statements,
        async close() {
          await db.execute(sql`drop table if exists ${table}`)
        },
      }
    },
    async shutdown() {
      await client?.close()
    },
  }
}


/** PostgreSQL at `url` through a node-postgres pool. */
export function postgresBackend(url: string): SqlBackend<AnyPgDatabase> {
  return {
    name: 'pg (PostgreSQL server)',
    dialect: 'pg',
    async open(tableName, options = TEST_MODE) {
      const pool = new pg.Pool({ connectionString: url, max: 10 })
      const statements = new StatementCounter()
      countPgPoolQueries(pool, statements)
      const db = drizzleNodePg({ client: pool })
      const table = createPgTaskExecutionsTable(tableName)
      await db.execute(sql`drop table if exists ${table}`)
      await ensurePgTaskExecutionsTables(db, [table])
      statements.reset()
      return {
        db,
        storage: createPgTaskExecutionsStorage(db, table, options),
        statements,
        async close() {
          await db.execute(sql`drop table if exists ${table}`)
          await pool.end()
        },
      }
    },
  }
}

/** MariaDB (or MySQL) at `url` through a mysql2 pool. */
export function mariaDbBackend(url: string): SqlBackend<AnyMySqlDatabase> {
  return {
    name: 'mysql (MariaDB server)',
    dialect: 'mysql',
    async open(tableName, options = TEST_MODE) {
      const pool = mysql.createPool({ uri: url, connectionLimit: 10 })
      const statements = new StatementCounter()
      countMysqlPoolQueries(pool, statements)
      const db = drizzleMysql({ client: pool })
      const table = createMySqlTaskExecutionsTable(tableName)
      await db.execute(sql`drop table if exists ${table}`)
      await ensureMySqlTaskExecutionsTables(db, [table])
      statements.reset()
      return {
        db,
        storage: createMySqlTaskExecutionsStorage(db, table, options),
        statements,
        async close() {
          await db.execute(sql`drop table if exists ${table}`)
          await pool.end()
        },
      }
    },
  }
}
