/**
 * Runtime DDL for task-executions tables: `CREATE TABLE IF NOT EXISTS` and the indexes of spec 3.3,
 * rendered from the drizzle table, so custom table names work without drizzle-kit. Identifiers
 * are quoted by drizzle; column types come from our own column declarations, never from input.
 */
import { getTableColumns, getTableName, sql, type Column, type SQL } from 'drizzle-orm'
import { hasErrorCode, isDuplicateColumnError } from '../sql/errors.js'
import { partialIndexPredicate, TASK_EXECUTIONS_COLUMNS_ADDED_LATER, TASK_EXECUTIONS_INDEXES, taskExecutionsIndexName } from './columns.js'
import type { TaskExecutionsDialect } from './dialect.js'

/** What DDL reads of a drizzle column. */
type ColumnForDdl = Pick<Column, 'name' | 'notNull' | 'hasDefault' | 'default' | 'getSQLType'>

/** A column's type, NOT NULL and (numeric, from our own declarations) default, for DDL. */
function columnDefinition(column: ColumnForDdl): SQL {
  const notNull = column.notNull ? sql` not null` : sql``
  const defaultValue = column.hasDefault ? sql` default ${sql.raw(String(Number(column.default)))}` : sql``
  return sql`${sql.identifier(column.name)} ${sql.raw(column.getSQLType())}${defaultValue}${notNull}`
}

/** The indexes of spec 3.3 on a dialect's table, as DDL fragments. */
function renderIndexes<TDb>(dialect: TaskExecutionsDialect<TDb>) {
  const { ddl, columns, table } = dialect
  const tableName = getTableName(table)
  return TASK_EXECUTIONS_INDEXES.map((spec) => ({
    name: sql.identifier(taskExecutionsIndexName(tableName, spec)),
    kind: spec.unique ? sql`unique index` : sql`index`,
    columns: sql.join(spec.columns.map((key) => sql.identifier(columns[key].name)), sql`, `),
    onlyWhere:
      ddl.partialIndexes && spec.onlyWhere ? sql` where ${partialIndexPredicate(spec.onlyWhere, (key) => sql.identifier(columns[key].name))}` : sql``,
  }))
}

/** The statements that create a dialect's table and indexes when missing, in order. */
export function renderTaskExecutionsTableDdl<TDb>(dialect: TaskExecutionsDialect<TDb>): Array<SQL> {
  const { ddl, columns, table } = dialect
  const columnDefinitions = Object.values(getTableColumns(table)).map((column) =>
    column.name === columns.id.name
      ? sql`${sql.identifier(column.name)} ${ddl.idColumnDefinition}`
      : columnDefinition(column),
  )
  const indexes = renderIndexes(dialect)
  const inlineIndexes = ddl.indexesInline ? indexes.map((spec) => sql`${spec.kind} ${spec.name} (${spec.columns})`) : []
  return [
    ...ddl.beforeCreateTable,
    sql`create table if not exists ${table} (${sql.join([...columnDefinitions, ...inlineIndexes], sql`, `)})`,
    ...(ddl.indexesInline
      ? []
      : indexes.map((spec) => sql`create ${spec.kind} if not exists ${spec.name} on ${table} (${spec.columns})${spec.onlyWhere}`)),
  ]
}

/**
 * Creates each table and its indexes when missing; running it again changes nothing. On MySQL the
 * indexes are created with the table, and an existing table gets those it lacks one by one (MySQL
 * 8 has no `CREATE INDEX IF NOT EXISTS`).
 */
export async function ensureTaskExecutionsTables<TDb>(
  db: TDb,
  dialects: ReadonlyArray<TaskExecutionsDialect<TDb>>,
): Promise<void> {
  for (const dialect of dialects) {
    // Idempotent DDL: every statement is IF NOT EXISTS.
    for (const statement of renderTaskExecutionsTableDdl(dialect)) await dialect.executeStatement(db, statement)
    await addColumnsAddedLater(db, dialect)
    if (dialect.ddl.indexesInline) await addMissingIndexes(db, dialect)
  }
}

/**
 * Adds the columns of later releases to a table created before them. MySQL 8 and SQLite have no
 * `ADD COLUMN IF NOT EXISTS`, so each column is added and "exists already" is taken as done.
 */
async function addColumnsAddedLater<TDb>(db: TDb, dialect: TaskExecutionsDialect<TDb>): Promise<void> {
  for (const key of TASK_EXECUTIONS_COLUMNS_ADDED_LATER) {
    try {
      // A new column, with its default for the rows already there.
      await dialect.executeStatement(db, sql`alter table ${dialect.table} add column ${columnDefinition(dialect.columns[key])}`)
    } catch (error) {
      if (!isDuplicateColumnError(error, dialect.errorCodes)) throw error
    }
  }
}

/**
 * Creates each index an existing table lacks, where indexes are declared inline (MySQL: its claims
 * name their indexes, so a table made by other means needs every one). Each index is created and
 * "exists already" is taken as done.
 */
async function addMissingIndexes<TDb>(db: TDb, dialect: TaskExecutionsDialect<TDb>): Promise<void> {
  for (const index of renderIndexes(dialect)) {
    try {
      // The index, built over the rows already there.
      await dialect.executeStatement(db, sql`create ${index.kind} ${index.name} on ${dialect.table} (${index.columns})`)
    } catch (error) {
      if (!hasErrorCode(error, dialect.errorCodes.duplicateIndex ?? [])) throw error
    }
  }
}
