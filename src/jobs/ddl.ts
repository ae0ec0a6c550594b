/**
 * Runtime DDL for tables with any prefix: CREATE TABLE IF NOT EXISTS with checks, unique constraints and foreign keys
 * inline, then the indexes (inline on MySQL, which has no CREATE INDEX IF NOT EXISTS), rendered
 * from the drizzle declarations. Identifiers are quoted by drizzle; types come from our columns.
 */
import { getTableName, sql, type Column, type SQL, type Table } from 'drizzle-orm'
import type { SqlDdlCapabilities, SqlSession } from '../sql/index.js'

/** The parts of a dialect's `getTableConfig(table)` the renderer reads. */
export type TableConfigLike = {
  readonly columns: ReadonlyArray<Column>
  readonly indexes: ReadonlyArray<{ readonly config: { readonly name?: string; readonly columns: ReadonlyArray<unknown>; readonly unique?: boolean | undefined } }>
  readonly foreignKeys: ReadonlyArray<{
    readonly onDelete?: string | undefined
    /** The columns it links and the columns it references. */
    reference(): { readonly name?: string; readonly columns: ReadonlyArray<Column>; readonly foreignColumns: ReadonlyArray<Column> }
    /** The constraint's name. */
    getName(): string
  }>
  readonly checks: ReadonlyArray<{ readonly name: string; readonly value: SQL }>
  readonly uniqueConstraints: ReadonlyArray<{
    /** The constraint's name. */
    getName(): string | undefined
    readonly columns: ReadonlyArray<Column>
  }>
}

const columnList = (columns: ReadonlyArray<unknown>) => sql.join(columns.map((column) => sql.identifier((column as Column).name)), sql`, `)

/** The statements that create `table` and its indexes when missing, in order. */
export function renderCreateTable(table: Table, config: TableConfigLike, ddl: SqlDdlCapabilities): Array<SQL> {
  const columns = config.columns.map((column) =>
    column.primary
      ? sql`${sql.identifier(column.name)} ${ddl.autoIncrementPrimaryKey}`
      : sql`${sql.identifier(column.name)} ${sql.raw(column.getSQLType())}${column.notNull ? sql` not null` : sql``}`,
  )
  const checks = config.checks.map((check) => sql`constraint ${sql.identifier(check.name)} check (${check.value})`)
  const uniques = config.uniqueConstraints.map((unique) => sql`constraint ${sql.identifier(unique.getName() ?? `${getTableName(table)}_unique`)} unique (${columnList(unique.columns)})`)
  const foreignKeys = config.foreignKeys.map((foreignKey) => {
    const reference = foreignKey.reference()
    const target = reference.foreignColumns[0]!.table
    const onDelete = foreignKey.onDelete ? sql` on delete ${sql.raw(foreignKey.onDelete)}` : sql``
    return sql`constraint ${sql.identifier(foreignKey.getName())} foreign key (${columnList(reference.columns)}) references ${target} (${columnList(reference.foreignColumns)})${onDelete}`
  })
  const indexes = config.indexes.map(({ config: index }) => ({
    kind: index.unique ? sql`unique index` : sql`index`,
    name: sql.identifier(index.name ?? `${getTableName(table)}_index`),
    columns: columnList(index.columns),
  }))
  const inlineIndexes = ddl.indexesInline ? indexes.map((index) => sql`${index.kind} ${index.name} (${index.columns})`) : []
  return [
    sql`create table if not exists ${table} (${sql.join([...columns, ...checks, ...uniques, ...foreignKeys, ...inlineIndexes], sql`, `)})`,
    ...(ddl.indexesInline ? [] : indexes.map((index) => sql`create ${index.kind} if not exists ${index.name} on ${table} (${index.columns})`)),
  ]
}

/** Creates every table (parents first) and index when missing; running it again changes nothing. */
export async function ensureTables(
  session: SqlSession,
  tables: ReadonlyArray<Table>,
  getTableConfig: (table: Table) => TableConfigLike,
  ddl: SqlDdlCapabilities,
): Promise<void> {
  for (const table of tables) {
    // Idempotent DDL: every statement is IF NOT EXISTS.
    for (const statement of renderCreateTable(table, getTableConfig(table), ddl)) await session.executeStatement(statement)
  }
}
