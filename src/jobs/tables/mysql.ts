/**
 * The job-runner tables on MySQL 8 / MariaDB 10.6+: column types only (the tables are declared once
 * in `../table-declarations.ts`). Times are epoch milliseconds in `bigint`, payloads `json`
 * (mysql2 decodes them once). Names, statuses and keys are binary strings (`varbinary`), compared
 * byte for byte as on PostgreSQL and SQLite: the default collation ignores case, accents and
 * trailing spaces, and even `utf8mb4_bin` pads trailing spaces (`'a' = 'a '`); `utf8mb4_nopad_bin`
 * exists on MariaDB only. The status CHECKs compare the same way, so `'COMPLETED'` is refused.
 */
import type { BuildColumns } from 'drizzle-orm'
import {
  bigint,
  check,
  foreignKey,
  index,
  int,
  json,
  mysqlTable,
  unique,
  uniqueIndex,
  varbinary,
  type MySqlColumn,
  type MySqlColumnBuilderBase,
  type MySqlTable,
  type MySqlTableExtraConfigValue,
  type MySqlTableWithColumns,
} from 'drizzle-orm/mysql-core'
import { jobNamer } from '../names.js'
import type { JobColumnBuilders, JobTableBuilders, JobTableKind } from '../table-builders.js'
import { declareJobTables } from '../table-declarations.js'

const MYSQL_JOB_COLUMNS = {
  // Not `serial`: drizzle-kit renders it as `serial AUTO_INCREMENT`, which MariaDB rejects.
  id: () => bigint('id', { mode: 'number' }).autoincrement().primaryKey(),
  reference: (name: string) => bigint(name, { mode: 'number' }),
  time: (name: string) => bigint(name, { mode: 'number' }),
  payload: (name: string) => json(name),
  /** 191 four-byte characters (the limit `column-values.ts` checks on every dialect) in UTF-8. */
  label: (name: string) => varbinary(name, { length: 764 }),
  integer: (name: string) => int(name),
} satisfies JobColumnBuilders<MySqlColumnBuilderBase>

/** A MySQL table of the given columns. */
export type MySqlJobTableOf<TColumns extends Record<string, MySqlColumnBuilderBase>> = MySqlTableWithColumns<{
  name: string
  schema: undefined
  columns: BuildColumns<string, TColumns, 'mysql'>
  dialect: 'mysql'
}>

/** {@link MySqlJobTableOf} as the shared declarations apply it. */
interface MySqlJobTable extends JobTableKind {
  readonly table: this['columns'] extends Record<string, MySqlColumnBuilderBase> ? MySqlJobTableOf<this['columns']> : MySqlTable
}

const MYSQL_JOB_TABLE_BUILDERS: JobTableBuilders<MySqlJobTable, MySqlColumnBuilderBase, MySqlColumn, MySqlTableExtraConfigValue> = {
  table: mysqlTable,
  check,
  index,
  unique,
  uniqueIndex,
  foreignKey,
}

/**
 * The MySQL / MariaDB job-runner tables.
 * @param prefix - prepended to every table, index and constraint name (letters, digits,
 *   underscores; at most 35 characters). Defaults to none.
 */
export function createMySqlJobTables(prefix = '') {
  return declareJobTables(MYSQL_JOB_COLUMNS, MYSQL_JOB_TABLE_BUILDERS, jobNamer(prefix, 'MySQL', 64))
}

/** The tables made by {@link createMySqlJobTables}. */
export type MySqlJobTables = ReturnType<typeof createMySqlJobTables>
