/**
 * `migrateDatabase`: creates or updates the task-executions table and the job-runner tables on a
 * database `createDatabase` opened. Default names get the shipped migrations (drizzle-orm's
 * `migrate()`, recorded in their own migrations tables, so a second run does nothing); the
 * shipped SQL names its tables, so custom names get the runtime DDL instead (`ensure…`, also
 * idempotent). Each driver's migrator is imported only when its URL needs it.
 */
import type { MigrationConfig } from 'drizzle-orm/migrator'
import { DurableExecutionError } from '../core/errors.js'
import type { JobDatabase } from './create-database.js'
import {
  JOB_MIGRATIONS_TABLE,
  jobMigrationsFolder,
  TASK_EXECUTIONS_MIGRATIONS_TABLE,
  taskExecutionsMigrationsFolder,
  type MigrationsDialect,
} from './migrations.js'
import { openTaskExecutionsStorage } from './task-executions.js'

/** Options of {@link migrateDatabase}. */
export type MigrateDatabaseOptions = {
  /** The task-executions table's name (default `task_executions`). */
  readonly tableName?: string
  /** The job tables' prefix the database was opened with (default none). */
  readonly tablePrefix?: string
}

/** How one part was brought up to date. */
export type MigrationMethod = 'shipped-migrations' | 'runtime-ddl'

/** What {@link migrateDatabase} did. */
export type MigrateDatabaseResult = {
  readonly taskExecutions: { readonly tableName: string; readonly method: MigrationMethod }
  readonly jobs: { readonly tablePrefix: string; readonly method: MigrationMethod }
}

/** The shipped migrations failed on a table that was made another way (e.g. by `ensure…Tables`). */
export class MigrationConflictError extends DurableExecutionError {
  /**
   * @param message - which table, and what to do.
   * @param options - the migrator's error.
   */
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, isRetryable: false, isInternal: false })
  }
}

const FOLDER_OF_DIALECT: Readonly<Record<JobDatabase['dialectName'], MigrationsDialect>> = { PostgreSQL: 'pg', MySQL: 'mysql', SQLite: 'sqlite' }

/** Applies one folder of migrations with the driver's own migrator. */
async function applyMigrations(database: Pick<JobDatabase, 'driver' | 'db'>, config: MigrationConfig): Promise<void> {
  const db = database.db as never
  switch (database.driver) {
    case 'node-postgres':
      return (await import('drizzle-orm/node-postgres/migrator')).migrate(db, config)
    case 'mysql2':
      return (await import('drizzle-orm/mysql2/migrator')).migrate(db, config)
    case 'better-sqlite3':
      return (await import('drizzle-orm/better-sqlite3/migrator')).migrate(db, config)
    case 'libsql':
      return (await import('drizzle-orm/libsql/migrator')).migrate(db, config)
    case 'pglite':
      return (await import('drizzle-orm/pglite/migrator')).migrate(db, config)
  }
}

/**
 * Brings the tables of `database` up to date; running it again changes nothing.
 * @throws MigrationConflictError when a shipped migration fails because its table exists
 *   without the migrations' record (it was created with `ensure…Tables`).
 */
export async function migrateDatabase(database: JobDatabase, options: MigrateDatabaseOptions = {}): Promise<MigrateDatabaseResult> {
  const tableName = options.tableName ?? 'task_executions'
  const tablePrefix = options.tablePrefix ?? ''
  const dialect = FOLDER_OF_DIALECT[database.dialectName]
  let taskExecutions: MigrationMethod = 'runtime-ddl'
  if (tableName === 'task_executions') {
    const config = { migrationsFolder: taskExecutionsMigrationsFolder(dialect), migrationsTable: TASK_EXECUTIONS_MIGRATIONS_TABLE }
    await applyOrExplain(database, config, `the task-executions table ${tableName}`)
    taskExecutions = 'shipped-migrations'
  } else {
    await openTaskExecutionsStorage(database, { tableName, ensureTable: true })
  }
  let jobs: MigrationMethod = 'runtime-ddl'
  if (tablePrefix === '') {
    const config = { migrationsFolder: jobMigrationsFolder(dialect), migrationsTable: JOB_MIGRATIONS_TABLE }
    await applyOrExplain(database, config, 'the job-runner tables')
    jobs = 'shipped-migrations'
  } else {
    await database.ensureTables()
  }
  return { taskExecutions: { tableName, method: taskExecutions }, jobs: { tablePrefix, method: jobs } }
}

async function applyOrExplain(database: JobDatabase, config: MigrationConfig, what: string): Promise<void> {
  try {
    await applyMigrations(database, config)
  } catch (error) {
    const words = errorWords(error)
    if (!/already exists|duplicate/i.test(words)) throw error
    throw new MigrationConflictError(
      `Cannot apply the shipped migrations (${config.migrationsFolder}) for ${what}: a table exists already (${words}) ` +
        `but ${config.migrationsTable ?? 'the migrations table'} has no record of it, so it was created another way (ensure…Tables or drizzle-kit push). ` +
        'Keep one path: go on creating it with ensure…Tables, or drop the table and migrate again.',
      { cause: error },
    )
  }
}

/** The messages of an error and its causes, for recognising "already exists". */
function errorWords(error: unknown): string {
  const words: Array<string> = []
  for (let current: unknown = error; current instanceof Error && words.length < 5; current = current.cause) words.push(current.message)
  return words.at(-1) ?? String(error)
}
