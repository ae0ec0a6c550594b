/**
 * The job-runner tables on PostgreSQL: column types only (the tables are declared once in
 * `../table-declarations.ts`). Times are epoch milliseconds in `bigint`, payloads `json`,
 * statuses checked `text`. Text compares exactly (PostgreSQL's collations are deterministic);
 * ordering follows the database's collation (byte order under `C` / `C.UTF-8`).
 */
import type { BuildColumns } from 'drizzle-orm'
import {
  bigint,
  check,
  customType,
  foreignKey,
  index,
  integer,
  pgTable,
  text,
  unique,
  uniqueIndex,
  type PgColumn,
  type PgColumnBuilderBase,
  type PgTable,
  type PgTableExtraConfigValue,
  type PgTableWithColumns,
} from 'drizzle-orm/pg-core'
import { jobNamer } from '../names.js'
import type { JobColumnBuilders, JobTableBuilders, JobTableKind } from '../table-builders.js'
import { declareJobTables } from '../table-declarations.js'

/**
 * A `json` column decoded exactly once: node-postgres and PGlite already parse `json` values, and
 * drizzle's own `json` column parses strings again (the payload `'123'` would come back as 123).
 */
const payloadJson = customType<{ data: unknown; driverData: unknown }>({
  dataType: () => 'json',
  toDriver: (value) => JSON.stringify(value),
  fromDriver: (value) => value,
})

const PG_JOB_COLUMNS = {
  id: () => bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
  reference: (name: string) => bigint(name, { mode: 'number' }),
  time: (name: string) => bigint(name, { mode: 'number' }),
  payload: (name: string) => payloadJson(name),
  label: (name: string) => text(name),
  integer: (name: string) => integer(name),
} satisfies JobColumnBuilders<PgColumnBuilderBase>

/** A PostgreSQL table of the given columns. */
export type PgJobTableOf<TColumns extends Record<string, PgColumnBuilderBase>> = PgTableWithColumns<{
  name: string
  schema: undefined
  columns: BuildColumns<string, TColumns, 'pg'>
  dialect: 'pg'
}>

/** {@link PgJobTableOf} as the shared declarations apply it. */
interface PgJobTable extends JobTableKind {
  readonly table: this['columns'] extends Record<string, PgColumnBuilderBase> ? PgJobTableOf<this['columns']> : PgTable
}

const PG_JOB_TABLE_BUILDERS: JobTableBuilders<PgJobTable, PgColumnBuilderBase, PgColumn, PgTableExtraConfigValue> = {
  table: pgTable,
  check,
  index,
  unique,
  uniqueIndex,
  foreignKey,
}

/**
 * The PostgreSQL job-runner tables.
 * @param prefix - prepended to every table, index and constraint name (letters, digits,
 *   underscores; at most 34 characters). Defaults to none.
 */
export function createPgJobTables(prefix = '') {
  return declareJobTables(PG_JOB_COLUMNS, PG_JOB_TABLE_BUILDERS, jobNamer(prefix, 'PostgreSQL', 63))
}

/** The tables made by {@link createPgJobTables}. */
export type PgJobTables = ReturnType<typeof createPgJobTables>
