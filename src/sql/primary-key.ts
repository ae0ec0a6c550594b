/** The single-column primary key of a drizzle table, found from its column declarations. */
import { getTableColumns, getTableName, type Column, type Table } from 'drizzle-orm'
import type { SqlPrimaryKey } from './dialect.js'

/**
 * The table's primary key column and its property key.
 * @throws when the table has no single-column primary key declared with `.primaryKey()`.
 */
export function primaryKeyOf(table: Table): SqlPrimaryKey {
  const columns: Record<string, Column> = getTableColumns(table)
  const keys = Object.entries(columns).filter(([, column]) => column.primary)
  const [first] = keys
  if (keys.length !== 1 || first === undefined) {
    throw new TypeError(
      `Table "${getTableName(table)}" has ${keys.length} columns declared with .primaryKey(); ` +
        'repositories need exactly one (a single-column primary key).',
    )
  }
  return { key: first[0], column: first[1] }
}
