/**
 * A dialect bound to one database handle (a pool, a connection or a transaction): what
 * repositories hold, so that dialect-neutral code needs no database type parameter. A session
 * made from a transaction handle runs every statement on that transaction.
 */
import { getTableColumns, type Column, type SQL, type Table } from 'drizzle-orm'
import type { DatabaseErrorCodes } from './errors.js'
import type { ClaimCandidatesSubquery, SqlClaimQuery, SqlDialect, SqlRow, SqlSelectQuery, SqlValues } from './dialect.js'
import { insertRowsInChunks, type InsertDuplicates } from './insert.js'
import { primaryKeyOf } from './primary-key.js'

/** A select query whose parts default to "none" (and to every column of the table). */
export type SqlSelectOptions = Partial<Omit<SqlSelectQuery, 'fields'>> & {
  readonly fields?: Record<string, SQL | Column>
}

/** The seam's primitives on one database handle. */
export type SqlSession = {
  /** The dialect's name, for messages. */
  readonly dialectName: SqlDialect<unknown>['dialectName']
  /** The dialect's error codes, for `classifyDatabaseError`. */
  readonly errorCodes: DatabaseErrorCodes
  /** Most bound parameters one statement may carry. */
  readonly maxBoundParameters: number
  /** See {@link SqlDialect.selectRows}. */
  selectRows(table: Table, options?: SqlSelectOptions): Promise<Array<SqlRow>>
  /** See {@link SqlDialect.selectRowsToClaim}; call it inside {@link SqlSession.transaction}. */
  selectRowsToClaim(table: Table, query: SqlClaimQuery): Promise<Array<SqlRow>>
  /** See {@link SqlDialect.claimCandidates}; absent where the dialect has none. */
  readonly claimCandidates?: (table: Table, query: SqlClaimQuery) => ClaimCandidatesSubquery
  /** Inserts rows chunked under the dialect's limits, all or none; returns the statements run. */
  insertRows(table: Table, rows: ReadonlyArray<SqlValues>, duplicates?: InsertDuplicates): Promise<number>
  /** Inserts one row and returns its generated primary key. */
  insertRowReturningId(table: Table, row: SqlValues): Promise<number>
  /** See {@link SqlDialect.updateRows}. */
  updateRows(table: Table, set: SqlValues, where: SQL | undefined): Promise<number>
  /** See {@link SqlDialect.updateRowsReturning}; absent where the dialect has none. */
  readonly updateRowsReturning?: (table: Table, set: SqlValues, where: SQL | undefined) => Promise<Array<SqlRow>>
  /** See {@link SqlDialect.insertRowReturning}; absent where the dialect has none. */
  readonly insertRowReturning?: (table: Table, row: SqlValues) => Promise<SqlRow>
  /** See {@link SqlDialect.deleteRows}. */
  deleteRows(table: Table, where: SQL | undefined): Promise<number>
  /** Runs `fn` on a session bound to a new transaction (a savepoint when this one is a transaction). */
  transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T>
  /** Runs one statement whose result does not matter (DDL). */
  executeStatement(statement: SQL): Promise<void>
}

/** Binds a dialect to a database or transaction handle. */
export function createSqlSession<TDb>(dialect: SqlDialect<TDb>, db: TDb): SqlSession {
  const { claimCandidates, updateRowsReturning, insertRowReturning } = dialect
  return {
    dialectName: dialect.dialectName,
    errorCodes: dialect.errorCodes,
    maxBoundParameters: dialect.maxBoundParameters,
    selectRows: (table, options = {}) =>
      dialect.selectRows(db, table, {
        fields: options.fields ?? getTableColumns(table),
        where: options.where,
        groupBy: options.groupBy ?? [],
        orderBy: options.orderBy ?? [],
        // MySQL and SQLite accept OFFSET only after a LIMIT.
        limit: options.limit ?? (options.offset !== undefined ? Number.MAX_SAFE_INTEGER : undefined),
        offset: options.offset,
      }),
    selectRowsToClaim: (table, query) => dialect.selectRowsToClaim(db, table, query),
    insertRows: (table, rows, duplicates = 'reject') => insertRowsInChunks(dialect, db, table, rows, duplicates),
    insertRowReturningId: (table, row) => dialect.insertRowReturningId(db, table, row, primaryKeyOf(table)),
    updateRows: (table, set, where) => dialect.updateRows(db, table, set, where),
    deleteRows: (table, where) => dialect.deleteRows(db, table, where),
    claimCandidates: claimCandidates && ((table, query) => claimCandidates(db, table, query)),
    updateRowsReturning: updateRowsReturning && ((table, set, where) => updateRowsReturning(db, table, set, where)),
    insertRowReturning: insertRowReturning && ((table, row) => insertRowReturning(db, table, row)),
    transaction: (fn) => dialect.transaction(db, (tx) => fn(createSqlSession(dialect, tx))),
    executeStatement: (statement) => dialect.executeStatement(db, statement),
  }
}
