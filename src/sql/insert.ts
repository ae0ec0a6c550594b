/**
 * Multi-row INSERTs chunked under the dialect's bound-parameter limit and statement size, written
 * once for every dialect; several chunks run in one transaction (a savepoint when already inside
 * one), so an insert is all-or-nothing.
 */
import { getTableColumns, SQL, sql, type Column, type Table } from 'drizzle-orm'
import { chunkItems, estimateValueBytes } from './chunks.js'
import type { SqlDialect, SqlValues } from './dialect.js'
import { primaryKeyOf } from './primary-key.js'

/**
 * Splits rows into chunks that each fit one statement: a row binds at most one parameter per
 * column of the table (drizzle binds defaults computed in JavaScript too).
 */
export function chunkRowsForInsert<TDb>(
  dialect: SqlDialect<TDb>,
  table: Table,
  rows: ReadonlyArray<SqlValues>,
): Array<Array<SqlValues>> {
  const parametersPerRow = Math.max(1, Object.keys(getTableColumns(table)).length)
  return chunkItems(
    rows,
    { maxItems: Math.floor(dialect.maxBoundParameters / parametersPerRow), maxBytes: dialect.maxStatementBytes },
    estimateValueBytes,
  )
}

/** How duplicates of a unique key are treated. */
export type InsertDuplicates = 'reject' | 'ignore'

/**
 * Inserts all rows or none. With `ignore`, rows that collide with an existing row on any unique
 * key are skipped, which makes a re-run of the same insert a no-op.
 * @returns how many statements ran.
 */
export async function insertRowsInChunks<TDb>(
  dialect: SqlDialect<TDb>,
  db: TDb,
  table: Table,
  rows: ReadonlyArray<SqlValues>,
  duplicates: InsertDuplicates,
): Promise<number> {
  if (rows.length === 0) return 0
  const chunks = chunkRowsForInsert(dialect, table, rows)
  const primaryKey = duplicates === 'ignore' ? primaryKeyOf(table) : undefined
  const flatColumns = sameColumnsInEveryRow(table, rows)
  const insertChunks = async (target: TDb) => {
    // One multi-row INSERT per chunk, each under the parameter and size limits.
    for (const chunk of chunks) {
      if (flatColumns !== undefined) {
        const insert = dialect.insertEveryColumn(table, flatColumns, chunk)
        await dialect.executeStatement(target, primaryKey === undefined ? insert : sql`${insert}${dialect.ignoreDuplicatesClause(primaryKey)}`)
      } else if (primaryKey === undefined) await dialect.insertRows(target, table, chunk)
      else await dialect.insertRowsIgnoringDuplicates(target, table, chunk, primaryKey)
    }
  }
  if (chunks.length === 1) await insertChunks(db)
  else await dialect.transaction(db, insertChunks)
  return chunks.length
}

/**
 * The columns of the rows when every row sets the same columns to plain values: then the INSERT is
 * built flat (`flat-statements.ts`, about a fifth of drizzle's rendering cost) and the columns no
 * row names take their defaults. `undefined` when the rows differ (drizzle's builder then fills
 * each row's missing columns) or carry SQL expressions or `undefined` values.
 */
function sameColumnsInEveryRow(table: Table, rows: ReadonlyArray<SqlValues>): Array<readonly [string, Column]> | undefined {
  const [first] = rows
  if (first === undefined) return undefined
  const keys = Object.keys(first)
  const tableColumns: Record<string, Column> = getTableColumns(table)
  const columns: Array<readonly [string, Column]> = []
  for (const key of keys) {
    const column = Object.hasOwn(tableColumns, key) ? tableColumns[key] : undefined
    if (column === undefined) return undefined
    columns.push([key, column])
  }
  for (const row of rows) {
    let count = 0
    for (const key in row) {
      const value = row[key]
      if (value === undefined || value instanceof SQL || !Object.hasOwn(first, key)) return undefined
      count++
    }
    if (count !== keys.length) return undefined
  }
  return columns
}
