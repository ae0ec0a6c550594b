/**
 * The job-runner tables on SQLite: column types only (the tables are declared once in
 * `../table-declarations.ts`). Times are epoch milliseconds in `integer`, payloads JSON `text`,
 * statuses checked `text`.
 */
import type { BuildColumns } from 'drizzle-orm'
import {
  check,
  foreignKey,
  index,
  integer,
  sqliteTable,
  text,
  unique,
  uniqueIndex,
  type SQLiteColumn,
  type SQLiteColumnBuilderBase,
  type SQLiteTable,
  type SQLiteTableExtraConfigValue,
  type SQLiteTableWithColumns,
} from 'drizzle-orm/sqlite-core'
import { jobNamer } from '../names.js'
import type { JobColumnBuilders, JobTableBuilders, JobTableKind } from '../table-builders.js'
import { declareJobTables } from '../table-declarations.js'

const SQLITE_JOB_COLUMNS = {
  id: () => integer('id').primaryKey({ autoIncrement: true }),
  reference: (name: string) => integer(name),
  time: (name: string) => integer(name),
  payload: (name: string) => text(name, { mode: 'json' }),
  label: (name: string) => text(name),
  integer: (name: string) => integer(name),
} satisfies JobColumnBuilders<SQLiteColumnBuilderBase>

/** A SQLite table of the given columns. */
export type SQLiteJobTableOf<TColumns extends Record<string, SQLiteColumnBuilderBase>> = SQLiteTableWithColumns<{
  name: string
  schema: undefined
  columns: BuildColumns<string, TColumns, 'sqlite'>
  dialect: 'sqlite'
}>

/** {@link SQLiteJobTableOf} as the shared declarations apply it. */
interface SQLiteJobTable extends JobTableKind {
  readonly table: this['columns'] extends Record<string, SQLiteColumnBuilderBase> ? SQLiteJobTableOf<this['columns']> : SQLiteTable
}

const SQLITE_JOB_TABLE_BUILDERS: JobTableBuilders<SQLiteJobTable, SQLiteColumnBuilderBase, SQLiteColumn, SQLiteTableExtraConfigValue> = {
  table: sqliteTable,
  check,
  index,
  unique,
  uniqueIndex,
  foreignKey,
}

/**
 * The SQLite job-runner tables.
 * @param prefix - prepended to every table, index and constraint name (letters, digits,
 *   underscores; at most 35 characters). Defaults to none.
 */
export function createSQLiteJobTables(prefix = '') {
  return declareJobTables(SQLITE_JOB_COLUMNS, SQLITE_JOB_TABLE_BUILDERS, jobNamer(prefix, 'SQLite', 64, 'sqlite_'))
}

/** The tables made by {@link createSQLiteJobTables}. */
export type SQLiteJobTables = ReturnType<typeof createSQLiteJobTables>
