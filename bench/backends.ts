/**
 * Opening each benchmark backend on a fresh table: in-memory, SQLite (better-sqlite3 in memory and
 * on a WAL file), PGlite, PostgreSQL and MariaDB. Server backends use a database of their own
 * (`de_bench`), created when missing, so the database's statistics count only this run and the
 * test suites running next to it see nothing. Every SQL driver is wrapped by a statement counter.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import Database from 'better-sqlite3'
import { sql } from 'drizzle-orm'
import { drizzle as drizzleBetterSqlite } from 'drizzle-orm/better-sqlite3'
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2'
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { InMemoryTaskExecutionsStorage, type TaskExecutionsStorage } from '../src/index.js'
import { type AnyMySqlDatabase, createMySqlTaskExecutionsStorage, createMySqlTaskExecutionsTable, ensureMySqlTaskExecutionsTables } from '../src/mysql.js'
import { createPgTaskExecutionsStorage, createPgTaskExecutionsTable, ensurePgTaskExecutionsTables } from '../src/pg.js'
import { createSQLiteTaskExecutionsStorage, createSQLiteTaskExecutionsTable, ensureSQLiteTaskExecutionsTables } from '../src/sqlite.js'
import { countCalls, countMysqlPoolQueries, countPgPoolQueries } from '../tests/sql/driver-recording.js'
import type { StorageLocation } from '../tests/sql/fixtures/open-storage.js'
import { createReadCommittedPool } from '../src/database/drivers/mysql2.js'
import { StatementCounter } from './statement-counter.js'

/** Every backend name the `--backends` flag accepts, in report order. */
export const BACKEND_NAMES = ['memory', 'sqlite-memory', 'sqlite-file', 'pglite', 'postgres', 'mariadb'] as const

/** One backend name. */
export type BackendName = (typeof BACKEND_NAMES)[number]

/** The database all server benchmarks use. */
export const BENCH_DATABASE = 'de_bench'

/** The PostgreSQL server URL (`PG_URL`), pointing at any existing database. */
export const PG_URL = process.env.PG_URL || 'postgres://postgres@127.0.0.1:5432/test'

/** The MariaDB server URL (`MYSQL_URL`), pointing at any existing database. */
export const MYSQL_URL = process.env.MYSQL_URL || 'mysql://root@127.0.0.1:3306/test'

/** `url` with its database replaced by `database`. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

/** The URL of the PostgreSQL benchmark database. */
export const PG_BENCH_URL = withDatabase(PG_URL, BENCH_DATABASE)

/** The URL of the MariaDB benchmark database. */
export const MYSQL_BENCH_URL = withDatabase(MYSQL_URL, BENCH_DATABASE)

/** A storage on a fresh table, what its driver ran, and how to release it. */
export type OpenedBackend = {
  readonly name: BackendName
  readonly storage: TaskExecutionsStorage
  readonly statements: StatementCounter
  /** Ends the connection pool (statistics are flushed when sessions end); `close` still works after. */
  release(): Promise<void>
  /** Releases, drops the table and removes temporary files. */
  close(): Promise<void>
}

/** Options of {@link openBackend}. */
export type OpenBackendOptions = {
  /** Pool size of server backends (default 10, the size the toolchain anchors were measured with). */
  readonly poolSize?: number
}

let tableCounter = 0

/** A table name unique to this process and call, within every dialect's length limit. */
export function uniqueTableName(prefix = 'bench'): string {
  tableCounter++
  return `${prefix}_${process.pid.toString(36)}_${tableCounter}`.slice(0, 40)
}

/** A temporary directory and its removal. */
export function temporaryDirectory(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

let pgliteClient: PGlite | undefined
let pgliteCounter: StatementCounter | undefined

/** One PGlite instance for the whole run (it takes about two seconds to start). */
function sharedPglite(): PGlite {
  if (pgliteClient) return pgliteClient
  const client = new PGlite()
  const record = (statement: unknown) => pgliteCounter?.record(statement)
  const query = client.query.bind(client)
  client.query = ((text: string, ...rest: Array<never>) => {
    record(text)
    return query(text, ...rest)
  }) as typeof client.query
  const exec = client.exec.bind(client)
  client.exec = ((text: string, ...rest: Array<never>) => {
    record(text)
    return exec(text, ...rest)
  })
  const transaction = client.transaction.bind(client)
  client.transaction = ((fn: (tx: never) => Promise<unknown>) =>
    transaction((tx) => {
      record('begin')
      const txQuery = tx.query.bind(tx)
      tx.query = ((text: string, ...rest: Array<never>) => {
        record(text)
        return txQuery(text, ...rest)
      }) as typeof tx.query
      return fn(tx as never).then((result) => {
        record('commit')
        return result
      })
    })) as typeof client.transaction
  pgliteClient = client
  return client
}

/** Closes the shared PGlite instance, if one was started. */
export async function closeSharedPglite(): Promise<void> {
  await pgliteClient?.close()
  pgliteClient = undefined
}

export async function ensureServerDatabases(name: BackendName): Promise<void> {
  if (name === 'postgres') {
    const client = new pg.Client({ connectionString: PG_URL })
    await client.connect()
    try {
      const found = await client.query('select 1 from pg_database where datname = $1', [BENCH_DATABASE])
      if (found.rowCount === 0) await client.query(`create database ${BENCH_DATABASE}`)
    } finally {
      await client.end()
    }
  } else if (name === 'mariadb') {
    const connection = await mysql.createConnection({ uri: MYSQL_URL })
    try {
      await connection.query(`create database if not exists ${BENCH_DATABASE}`)
    } finally {
      await connection.end()
    }
  }
}

/**
 * Opens `name` on a fresh table. Server backends create the table through a pool that is ended
 * before this returns, so the returned pool's sessions run only the benchmark's statements.
 */
export async function openBackend(name: BackendName, options: OpenBackendOptions = {}): Promise<OpenedBackend> {
  const poolSize = options.poolSize ?? 10
  const statements = new StatementCounter()
  const tableName = uniqueTableName()
  switch (name) {
    case 'memory': {
      const storage = new InMemoryTaskExecutionsStorage()
      return { name, storage, statements, release: async () => {}, close: async () => {} }
    }
    case 'sqlite-memory':
    case 'sqlite-file': {
      const directory = name === 'sqlite-file' ? temporaryDirectory('de-bench-') : undefined
      const client = new Database(directory ? join(directory.path, 'bench.db') : ':memory:')
      if (directory) client.pragma('journal_mode = WAL')
      const db = drizzleBetterSqlite({ client })
      const table = createSQLiteTaskExecutionsTable(tableName)
      await ensureSQLiteTaskExecutionsTables(db, [table])
      countCalls(client, 'prepare', statements)
      countCalls(client, 'exec', statements)
      let closed = false
      const release = () => {
        if (!closed) client.close()
        closed = true
        return Promise.resolve()
      }
      return {
        name,
        storage: createSQLiteTaskExecutionsStorage(db, table, { enableTestMode: true }),
        statements,
        release,
        async close() {
          await release()
          directory?.remove()
        },
      }
    }
    case 'pglite': {
      const client = sharedPglite()
      const db = drizzlePglite({ client })
      const table = createPgTaskExecutionsTable(tableName)
      await ensurePgTaskExecutionsTables(db, [table])
      pgliteCounter = statements
      return {
        name,
        storage: createPgTaskExecutionsStorage(db, table, { enableTestMode: true }),
        statements,
        release: async () => {},
        async close() {
          if (pgliteCounter === statements) pgliteCounter = undefined
          await db.execute(sql`drop table if exists ${table}`)
        },
      }
    }
    case 'postgres': {
      await ensureServerDatabases(name)
      const table = createPgTaskExecutionsTable(tableName)
      const withSetupPool = async (fn: (db: ReturnType<typeof drizzleNodePg>) => Promise<unknown>) => {
        const setup = new pg.Pool({ connectionString: PG_BENCH_URL, max: 1 })
        try {
          await fn(drizzleNodePg({ client: setup }))
        } finally {
          await setup.end()
        }
      }
      await withSetupPool((db) => ensurePgTaskExecutionsTables(db, [table]))
      const pool = new pg.Pool({ connectionString: PG_BENCH_URL, max: poolSize })
      countPgPoolQueries(pool, statements)
      const db = drizzleNodePg({ client: pool })
      let ended = false
      const release = async () => {
        if (!ended) await pool.end()
        ended = true
      }
      return {
        name,
        storage: createPgTaskExecutionsStorage(db, table, { enableTestMode: true }),
        statements,
        release,
        async close() {
          await release()
          await withSetupPool((setupDb) => setupDb.execute(sql`drop table if exists ${table}`))
        },
      }
    }
    case 'mariadb': {
      await ensureServerDatabases(name)
      const table = createMySqlTaskExecutionsTable(tableName)
      const withSetupPool = async (fn: (db: AnyMySqlDatabase) => Promise<unknown>) => {
        const setup = mysql.createPool({ uri: MYSQL_BENCH_URL, connectionLimit: 1 })
        try {
          await fn(drizzleMysql({ client: setup }))
        } finally {
          await setup.end()
        }
      }
      await withSetupPool((db) => ensureMySqlTaskExecutionsTables(db, [table]))
      // createDatabase's pool: sessions at READ COMMITTED, so claims need no SET TRANSACTION statement.
      const pool = createReadCommittedPool({ uri: MYSQL_BENCH_URL, connectionLimit: poolSize })
      countMysqlPoolQueries(pool, statements)
      const db = drizzleMysql({ client: pool })
      let ended = false
      const release = async () => {
        if (!ended) await pool.end()
        ended = true
      }
      return {
        name,
        storage: createMySqlTaskExecutionsStorage(db, table, { enableTestMode: true }),
        statements,
        release,
        async close() {
          await release()
          await withSetupPool((setupDb) => setupDb.execute(sql`drop table if exists ${table}`))
        },
      }
    }
  }
}

/** Whether `name` can be opened here: servers must answer `select 1`. Returns the reason when not. */
export async function probeBackend(name: BackendName): Promise<string | undefined> {
  try {
    if (name === 'postgres') {
      const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 })
      await client.connect()
      await client.query('select 1')
      await client.end()
    } else if (name === 'mariadb') {
      const connection = await mysql.createConnection({ uri: MYSQL_URL, connectTimeout: 3000 })
      await connection.query('select 1')
      await connection.end()
    }
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}

/**
 * Runs `measure` with where worker processes find table `tableName` on each backend they can
 * share (a SQLite file in a temporary folder, the bench databases on the servers); the folder is
 * removed afterwards.
 */
export async function withWorkerLocations(
  tableName: string,
  measure: (locations: Partial<Record<BackendName, StorageLocation>>) => Promise<void>,
): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), `de-bench-${tableName}-`))
  try {
    await measure({
      'sqlite-file': { dialect: 'sqlite', location: join(directory, `${tableName}.sqlite`), tableName },
      postgres: { dialect: 'pg', location: PG_BENCH_URL, tableName },
      mariadb: { dialect: 'mysql', location: MYSQL_BENCH_URL, tableName },
    })
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
}
