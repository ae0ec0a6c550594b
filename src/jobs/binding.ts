/**
 * What ties the job-runner layer to one dialect: its generic SQL seam, its table factory and its
 * `getTableConfig` (for runtime DDL). Each `tables/*.ts` exports one; `openJobStore` turns a
 * binding and a drizzle database into a job store.
 */
import type { Table } from 'drizzle-orm'
import { createSqlSession, guardDriverErrors, type SqlDialect } from '../sql/index.js'
import { ensureTables, type TableConfigLike } from './ddl.js'
import { jobTablesInCreationOrder, type JobTables } from './job-tables.js'
import { createJobStore, type JobStore } from './store.js'

/** One dialect's job-runner declarations. */
export type JobDialectBinding<TDb, TTables extends JobTables = JobTables> = {
  readonly sqlDialect: SqlDialect<TDb>
  /** Creates the tables with an optional validated name prefix. */
  readonly createTables: (prefix?: string) => TTables
  /** The dialect's `getTableConfig`. */
  readonly getTableConfig: (table: Table) => TableConfigLike
}

/**
 * A dialect's binding from its seam, its table factory and its drizzle `getTableConfig` (whose
 * parameter is the dialect's table type; the binding only ever passes it tables of that dialect).
 */
export function defineJobDialectBinding<TDb, TTables extends JobTables>(
  sqlDialect: SqlDialect<TDb>,
  createTables: (prefix?: string) => TTables,
  getTableConfig: (table: never) => TableConfigLike,
): JobDialectBinding<TDb, TTables> {
  return { sqlDialect, createTables, getTableConfig: (table) => getTableConfig(table as never) }
}

/** Options of {@link openJobStore}. */
export type JobStoreOptions = {
  /** Prepended to every table, index and constraint name. */
  readonly tablePrefix?: string
  /** The clock in epoch milliseconds (default `Date.now`). */
  readonly now?: () => number
}

/** A job store over a database (not a transaction), which can also create its tables. */
export type RootJobStore<TTables extends JobTables = JobTables> = JobStore & {
  /** The dialect-typed tables. */
  readonly dialectTables: TTables
  /** Creates the tables and indexes when missing (for custom prefixes, tests and small deployments). */
  ensureTables(): Promise<void>
}

/** Binds the job-runner repositories to a drizzle database of the binding's dialect. */
export function openJobStore<TDb, TTables extends JobTables>(
  binding: JobDialectBinding<TDb, TTables>,
  db: TDb,
  options: JobStoreOptions = {},
): RootJobStore<TTables> {
  const tables = binding.createTables(options.tablePrefix ?? '')
  // A dropped connection must fail the query in flight, never end the process.
  guardDriverErrors(db)
  const store = createJobStore(createSqlSession(binding.sqlDialect, db), tables, options.now)
  return {
    ...store,
    dialectTables: tables,
    ensureTables: () => ensureTables(store.session, jobTablesInCreationOrder(tables), binding.getTableConfig, binding.sqlDialect.ddl),
  }
}
