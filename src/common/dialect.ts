/**
 * The task-executions storage's view of a dialect (design.md, spec 6.2): the dialect's one generic
 * seam (`SqlDialect`, declared in `pg.ts`, `mysql.ts`, `sqlite.ts`) bound to one table, plus the
 * few facts only this table needs (capabilities as data, the `id` column's DDL, typed parameters).
 * `TDb` is the dialect's drizzle database; a drizzle transaction is one too.
 */
import { getTableName, sql, type Column, type SQL, type SQLChunk, type Table } from 'drizzle-orm'
import type { SqlChangeSignal, SqlDialect } from '../sql/dialect.js'
import type { DatabaseErrorCodes } from '../sql/errors.js'
import type { TaskExecutionChildResult, TaskExecutionStorageValue } from '../core/index.js'
import type { TaskExecutionsColumns, TaskExecutionsInsertRow, TaskExecutionsRow, TaskExecutionsSet } from './columns.js'
import { queryPrimitives } from './query-primitives.js'
import { readPacketLimit } from '../sql/packet-limit.js'

/** What a dialect file adds to its generic seam for the task-executions table. */
export type TaskExecutionsDialectExtras<TDb> = {
  readonly capabilities: TaskExecutionsDialectDeclaration<TDb>['capabilities']
  /** How the table is created at runtime, beyond the seam's own DDL capabilities. */
  readonly ddl: Omit<TaskExecutionsDialectDeclaration<TDb>['ddl'], 'indexesInline'>
  /** See {@link TaskExecutionsDialectDeclaration.typedValue}. */
  readonly typedValue: (value: unknown, column: Column) => ReadonlyArray<SQLChunk>
  /** The matched-row count of an UPDATE result, where the user's driver needs its own reading (MySQL). */
  readonly affectedRowsCount?: (result: unknown) => number
  /** The storage's transaction, where it differs from the seam's (SQLite picks one per driver kind). */
  readonly transaction?: <T>(db: TDb, fn: (tx: TDb) => Promise<T>) => Promise<T>
  /** The change signal, where it differs from the seam's (SQLite picks one per driver kind). */
  readonly changeSignal?: (db: TDb) => SqlChangeSignal<TDb>
}

/** The dialect facts the storage reads, derived from the seam and the extras. */
export type TaskExecutionsDialectDeclaration<TDb> = {
  /** Named in error messages: `PostgreSQL`, `MySQL` or `SQLite`. */
  readonly dialectName: string
  /** Most bound parameters, and most bytes of values, one statement should carry. */
  readonly limits: { readonly boundParameters: number; readonly statementBytes: number }
  readonly capabilities: {
    /** `UPDATE … RETURNING` (MySQL 8 has none). */
    readonly updateReturning: boolean
    /**
     * Every storage call must run alone: one connection, so a statement of another caller would
     * otherwise land inside an open transaction (better-sqlite3, libsql).
     */
    readonly oneOperationAtATime: boolean
    /**
     * `WITH claimed AS (locking subquery) UPDATE … FROM claimed … RETURNING` may return the
     * subquery's columns, so a claim whose update overwrites its order column still runs as one
     * statement (PostgreSQL; SQLite's RETURNING sees only the updated table).
     */
    readonly claimOrderInOneStatement: boolean
  }
  /** Driver error codes for classification. */
  readonly errorCodes: DatabaseErrorCodes
  /** The server's limit on one statement's bytes as it receives them (`Infinity` where none binds), read once per database. */
  readonly readPacketLimit: (db: TDb) => Promise<number>
  /** Runs `fn` in a transaction that takes write locks as claims need them. */
  readonly transaction: <T>(db: TDb, fn: (tx: TDb) => Promise<T>) => Promise<T>
  /**
   * Runs `fn` in a transaction that only inserts rows (no UPDATE, no locking reads), opened with
   * fewer statements where the dialect can (see `SqlDialect.writeTransaction`).
   */
  readonly writeTransaction: <T>(db: TDb, fn: (tx: TDb) => Promise<T>) => Promise<T>
  /** Runs one statement whose result does not matter (DDL). */
  readonly executeStatement: (db: TDb, statement: SQL) => Promise<unknown>
  /** How the table is created at runtime. */
  readonly ddl: {
    /** The type and constraints of the `id` column. */
    readonly idColumnDefinition: SQL
    /** Whether indexes go inside CREATE TABLE (MySQL 8 has no `CREATE INDEX IF NOT EXISTS`). */
    readonly indexesInline: boolean
    /**
     * Whether indexes hold only the rows their queries look for (`onlyWhere` in `columns.ts`):
     * PostgreSQL, which plans each statement with its values. SQLite plans a statement before its
     * values are bound, so it could not use them; MySQL has none.
     */
    readonly partialIndexes: boolean
    /** Statements to run first, e.g. creating the schema. */
    readonly beforeCreateTable: ReadonlyArray<SQL>
  }
  /** How other processes learn of changes made through `db`. */
  readonly changeSignal: (db: TDb) => SqlChangeSignal<TDb>
  /** A bound parameter typed as `column`, where the database cannot infer it (inside CASE). */
  readonly typedParameter: (value: unknown, column: Column) => SQL
  /** {@link typedParameter} as chunks, for statements built flat (`sql/flat-statements.ts`). */
  readonly typedValue: (value: unknown, column: Column) => ReadonlyArray<SQLChunk>
}

/** What a claim reads of the rows it locks. */
export type ClaimCandidate = Pick<TaskExecutionsRow, 'executionId' | 'parentExecutionId' | 'isFinalizeOfParent'>

/**
 * The rows a claim looks at: up to `limit` rows matching `where` in `orderBy` order, on the index
 * made for the claim (`index`, its name; see `SqlClaimQuery.index`).
 */
export type ClaimScan = {
  readonly where: SQL | undefined
  readonly orderBy: ReadonlyArray<SQL>
  readonly limit: number
  readonly index: string | undefined
}

/** The statements the storage runs, built from drizzle's builders. */
export type TaskExecutionsQueryPrimitives<TDb> = {
  /** Every row matching `where`. */
  readonly selectRows: (db: TDb, where: SQL | undefined) => Promise<Array<TaskExecutionsRow>>
  /**
   * The claim-relevant fields (`executionId`, `parentExecutionId`, `isFinalizeOfParent`) of up to
   * `limit` rows matching `where` in `orderBy` order, locked against other claimers.
   */
  readonly selectRowsToClaim: (db: TDb, scan: ClaimScan) => Promise<Array<ClaimCandidate>>
  /**
   * {@link selectRowsToClaim} returning the locked rows as values (only their run columns for
   * `runValuesOnly`, as `selectRunValues` reads them), where the dialect has no UPDATE … RETURNING
   * but can read them in the locking SELECT (MySQL): the claim then applies its update to them in
   * memory instead of reading them again.
   */
  readonly selectValuesToClaim: ((db: TDb, scan: ClaimScan, runValuesOnly: boolean) => Promise<Array<TaskExecutionStorageValue>>) | undefined
  /**
   * An UPDATE's WHERE for the same rows: the execution id is one of those a locking subquery
   * selects (one statement per claim), where the dialect has it (see
   * `SqlDialect.inSubqueryRunOnce`).
   */
  readonly amongClaimCandidates:
    | ((db: TDb, where: SQL | undefined, orderBy: ReadonlyArray<SQL>, limit: number) => SQL)
    | undefined
  /**
   * Where the dialect can in one statement (PostgreSQL): claims up to `limit` rows matching
   * `where` in `orderColumn` order (locked and skipped as in {@link selectRowsToClaim}), applies
   * `set`, and returns them as they are afterwards, each with `claimOrder`, its `orderColumn`
   * value before the update (which may overwrite it).
   */
  readonly claimRowsReturningOrder:
    | ((
        db: TDb,
        set: TaskExecutionsSet,
        where: SQL | undefined,
        orderColumn: Column,
        limit: number,
      ) => Promise<Array<TaskExecutionsRow & { claimOrder: unknown }>>)
    | undefined
  /**
   * Where the dialect can in one statement (see `SqlDialect.claimReleasingToParents`): the claim of
   * {@link selectRowsToClaim} with `set` applied, each claimed child that is not a finalize child
   * released to its parent (`activeChildrenCount` less one, `updatedAt` set); resolves to how
   * many rows it claimed.
   */
  readonly claimReleasingChildren:
    | ((db: TDb, set: TaskExecutionsSet, where: SQL | undefined, orderBy: ReadonlyArray<SQL>, limit: number, updatedAt: number) => Promise<number>)
    | undefined
  /**
   * Where the dialect can in one statement (see `SqlDialect.updateInsertingOwned`): updates the
   * rows matching `where` and inserts each of `children` whose `owner` (an execution id) is among
   * them; resolves to the execution ids of the updated rows.
   */
  readonly updateInsertingChildren:
    | ((
        db: TDb,
        set: TaskExecutionsSet,
        where: SQL,
        children: ReadonlyArray<{ readonly owner: string; readonly values: TaskExecutionsInsertRow }>,
      ) => Promise<Set<string>>)
    | undefined
  /** Inserts the rows in one statement; with `andThen`, a SELECT run by the same statement (a notification). */
  readonly insertRows: (db: TDb, rows: ReadonlyArray<TaskExecutionsInsertRow>, andThen?: SQL) => Promise<unknown>
  /** The value of the dialect's change version (see `SqlChangeSignal`), for a dialect that polls one. */
  readonly selectChangeVersion: (db: TDb, versionQuery: (table: Table, primaryKey: Column) => SQL) => Promise<unknown>
  /** Updates the rows matching `where`; resolves to how many matched (not merely changed). */
  readonly updateRows: (db: TDb, set: TaskExecutionsSet, where: SQL) => Promise<number>
  /** Updates the rows matching `where` when the caller needs no count (a plain UPDATE, built flat). */
  readonly updateRowsUncounted: (db: TDb, set: TaskExecutionsSet, where: SQL) => Promise<unknown>
  /** Updates and returns the rows as they are afterwards, where the dialect can in one statement. */
  readonly updateRowsReturning:
    | ((db: TDb, set: TaskExecutionsSet, where: SQL) => Promise<Array<TaskExecutionsRow>>)
    | undefined
  /**
   * {@link updateRowsReturning} for rows claimed from `ready`: returns only their
   * `RUN_COLUMN_KEYS` (`row-mapping.ts`), read by hand into storage values.
   */
  readonly updateRowsReturningRunValues:
    | ((db: TDb, set: TaskExecutionsSet, where: SQL) => Promise<Array<TaskExecutionStorageValue>>)
    | undefined
  /** {@link selectRows} of rows claimed from `ready`: only their `RUN_COLUMN_KEYS`, read by hand into storage values. */
  readonly selectRunValues: (db: TDb, where: SQL) => Promise<Array<TaskExecutionStorageValue>>
  /** The results of the children matching `where`, each with its parent's id (see `createChildResultReader`). */
  readonly selectChildResults: (db: TDb, where: SQL) => Promise<Array<{ parentExecutionId: unknown; result: TaskExecutionChildResult }>>
  /** Updates and returns the execution ids of the rows that matched, where the dialect can in one statement. */
  readonly updateRowsReturningIdSet: ((db: TDb, set: TaskExecutionsSet, where: SQL) => Promise<Set<string>>) | undefined
  /** The database's clock, in milliseconds since the epoch. */
  readonly selectCurrentTimeMs: (db: TDb) => Promise<number>
  /** Deletes the rows matching `where` (every row when `undefined`). */
  readonly deleteRows: (db: TDb, where: SQL | undefined) => Promise<unknown>
}

/** One dialect over one task-executions table: what the storage is written against. */
export type TaskExecutionsDialect<TDb> = TaskExecutionsDialectDeclaration<TDb> &
  TaskExecutionsQueryPrimitives<TDb> & {
    /** The drizzle table; rendered (quoted, with its schema) wherever it appears in `sql`. */
    readonly table: Table
    /** The table's name, for messages and index names. */
    readonly tableName: string
    /** The table's columns by property key. */
    readonly columns: TaskExecutionsColumns
    /** The generic seam, for read-only and maintenance statements beyond the storage's (inspect, retention). */
    readonly seam: SqlDialect<TDb>
  }

/** A dialect's generic seam bound to one of its task-executions tables. */
export function bindTaskExecutionsDialect<TDb>(
  table: Table & TaskExecutionsColumns,
  seam: SqlDialect<TDb>,
  extras: TaskExecutionsDialectExtras<TDb>,
): TaskExecutionsDialect<TDb> {
  return {
    dialectName: seam.dialectName,
    limits: { boundParameters: seam.maxBoundParameters, statementBytes: seam.maxStatementBytes },
    capabilities: extras.capabilities,
    errorCodes: seam.errorCodes,
    readPacketLimit: (db) => readPacketLimit(db as object, seam.packetLimitQuery, (query) => seam.queryRows(db, query)),
    transaction: extras.transaction ?? seam.transaction,
    writeTransaction: extras.transaction ?? seam.writeTransaction ?? seam.transaction,
    changeSignal: extras.changeSignal ?? (() => seam.changeSignal),
    executeStatement: seam.executeStatement,
    ddl: { ...extras.ddl, indexesInline: seam.ddl.indexesInline },
    typedParameter: (value, column) => sql.fromList([...extras.typedValue(value, column)]),
    typedValue: extras.typedValue,
    ...queryPrimitives<TDb>(table, seam, extras),
    table,
    tableName: getTableName(table),
    columns: table,
    seam,
  }
}
