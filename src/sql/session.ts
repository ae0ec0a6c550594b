/**
 * A dialect bound to one database handle (a pool, a connection or a transaction): what
 * repositories hold, so that dialect-neutral code needs no database type parameter. A session
 * made from a transaction handle runs every statement on that transaction.
 */
import { getTableColumns, sql, type Column, type SQL, type Table } from 'drizzle-orm'
import type { DatabaseErrorCodes } from './errors.js'
import { inSubqueryRunOnce, type SqlClaimKeyQuery, type SqlClaimQuery, type SqlDialect, type SqlRow, type SqlSelectQuery, type SqlValues } from './dialect.js'
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
  /**
   * An UPDATE's WHERE for the rows a claim query would lock: `key` among the keys of the
   * dialect's {@link SqlDialect.claimCandidates} subquery, run once (see
   * {@link SqlDialect.inSubqueryRunOnce}). Absent where the dialect has no such subquery (MySQL).
   */
  readonly claimCandidatesWhere?: (table: Table, query: SqlClaimKeyQuery, key: Column) => SQL
  /** Inserts rows chunked under the dialect's limits, all or none; returns the statements run. */
  insertRows(table: Table, rows: ReadonlyArray<SqlValues>, duplicates?: InsertDuplicates): Promise<number>
  /** Inserts one row and returns its generated primary key. */
  insertRowReturningId(table: Table, row: SqlValues): Promise<number>
  /** See {@link SqlDialect.updateRows}. */
  updateRows(table: Table, set: SqlValues, where: SQL | undefined): Promise<number>
  /** Whether {@link SqlSession.updateRowsReturning} is one statement (`UPDATE … RETURNING`). */
  readonly updateReturnsRows: boolean
  /**
   * Updates the rows matching `where` and returns their `fields` (default: every column, keyed by
   * property key) as this update left them, never another caller's later values: `UPDATE …
   * RETURNING` where the dialect has it, otherwise the UPDATE and a read by `where` in one
   * transaction, the rows still locked by the UPDATE (so `where` must match the rows after the
   * update too, e.g. by key).
   */
  updateRowsReturning(table: Table, set: SqlValues, where: SQL | undefined, fields?: Record<string, Column>): Promise<Array<SqlRow>>
  /** See {@link SqlDialect.insertRowReturning}; absent where the dialect has none. */
  readonly insertRowReturning?: (table: Table, row: SqlValues) => Promise<SqlRow>
  /** See {@link SqlDialect.deleteRows}. */
  deleteRows(table: Table, where: SQL | undefined): Promise<number>
  /** Runs `fn` on a session bound to a new transaction (a savepoint when this one is a transaction). */
  transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T>
  /** Runs one statement whose result does not matter (DDL). */
  executeStatement(statement: SQL): Promise<void>
  /** See {@link SqlDialect.typedValue}: `value` bound as `column`'s type, for CASE branches. */
  typedValue(value: unknown, column: Column): SQL
}

/**
 * Runs `fn` in the dialect's transaction (a savepoint inside one) and, when `fn` failed, throws
 * its error rather than one from ending the transaction: a deadlock ends MySQL's whole
 * transaction, savepoints included, so the rollback to the savepoint fails too and would hide
 * the deadlock that callers retry on.
 */
async function transactionKeepingCause<TDb, T>(dialect: SqlDialect<TDb>, db: TDb, fn: (tx: TDb) => Promise<T>): Promise<T> {
  let failure: { readonly error: unknown } | undefined
  try {
    return await dialect.transaction(db, async (tx) => {
      try {
        return await fn(tx)
      } catch (error) {
        failure = { error }
        throw error
      }
    })
  } catch (error) {
    throw failure === undefined ? error : failure.error
  }
}

/** Binds a dialect to a database or transaction handle. */
export function createSqlSession<TDb>(dialect: SqlDialect<TDb>, db: TDb): SqlSession {
  const { claimCandidates, insertRowReturning } = dialect
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
    updateReturnsRows: dialect.updateRowsReturning !== undefined,
    updateRowsReturning: (table, set, where, fields = getTableColumns(table)) =>
      dialect.updateRowsReturning?.(db, table, set, where, fields) ??
      transactionKeepingCause(dialect, db, async (tx) => {
        // The UPDATE's row locks last until commit, so the read sees this update and no later one.
        if ((await dialect.updateRows(tx, table, set, where)) === 0) return []
        return dialect.selectRows(tx, table, { fields, where, groupBy: [], orderBy: [], limit: undefined, offset: undefined })
      }),
    deleteRows: (table, where) => dialect.deleteRows(db, table, where),
    claimCandidatesWhere:
      claimCandidates &&
      ((table, query, key) => {
        const candidates = claimCandidates(db, table, { ...query, fields: { key } })
        // One candidate compared as a scalar subquery, which runs once too.
        return query.limit === 1 ? sql`${key} = ${candidates}` : inSubqueryRunOnce(dialect, key, candidates)
      }),
    insertRowReturning: insertRowReturning && ((table, row) => insertRowReturning(db, table, row)),
    transaction: (fn) => transactionKeepingCause(dialect, db, (tx) => fn(createSqlSession(dialect, tx))),
    executeStatement: (statement) => dialect.executeStatement(db, statement),
    typedValue: (value, column) => sql.fromList([...dialect.typedValue(value, column)]),
  }
}
