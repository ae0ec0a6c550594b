/**
 * The generic, table-agnostic dialect seam (design.md "The rule"): each primitive is one dialect's
 * SQL for one intent and takes the drizzle table as a parameter, so any table (job-runner tables,
 * task executions, a user's own) runs on it. Logic (chunking, retries, repositories) lives in
 * dialect-neutral code; a dialect file only fills in this object.
 *
 * `TDb` is the dialect's drizzle database; a transaction handle has the same type (a drizzle
 * transaction is a database), so every primitive runs inside or outside a transaction alike.
 */
import { inArray, sql, type Column, type SQL, type SQLChunk, type SQLWrapper, type Table } from 'drizzle-orm'
import type { DatabaseErrorCodes } from './errors.js'
import type { NotificationListener } from './notifications.js'

/** A row as the driver returns it, keyed by the table's property keys. */
export type SqlRow = Record<string, unknown>

/** A value or SQL expression per property key, for INSERT and UPDATE. */
export type SqlValues = Record<string, unknown>

/** The primary key of a table with a single-column primary key. */
export type SqlPrimaryKey = {
  /** The property key of the column in the drizzle table. */
  readonly key: string
  readonly column: Column
}

/** What a SELECT returns and in which order; `undefined` parts are left out of the statement. */
export type SqlSelectQuery = {
  /** Named columns or expressions to select (the table's columns, from `getTableColumns`, for whole rows). */
  readonly fields: Record<string, SQL | Column>
  readonly where: SQL | undefined
  readonly groupBy: ReadonlyArray<SQL>
  readonly orderBy: ReadonlyArray<SQL>
  readonly limit: number | undefined
  readonly offset: number | undefined
}

/** A SELECT that locks the rows it returns against other claimers until the transaction ends. */
export type SqlClaimQuery = {
  readonly where: SQL | undefined
  readonly orderBy: ReadonlyArray<SQL>
  readonly limit: number
  /**
   * The name of the index made for this claim. A dialect whose planner may walk another index
   * names it in the statement (MySQL / MariaDB: its locking read locks every row it walks, so a
   * walk over rows of other states makes other claimers skip them).
   */
  readonly index?: string | undefined
  /** The columns (or expressions over the row) to read (whole rows when absent). */
  readonly fields?: Record<string, Column | SQL>
}

/** A claim query whose candidates are named by one key column, given beside it. */
export type SqlClaimKeyQuery = Omit<SqlClaimQuery, 'fields'>

/**
 * A claim that also releases each claimed row to its parent row, in one statement: the claimed
 * rows take `set`; each parent (the row whose `key` is a claimed row's `parentKey`) loses one from
 * `counter` per claimed child for which `releases` holds, and takes `parentSet`.
 */
export type SqlClaimReleasingQuery = SqlClaimQuery & {
  readonly key: Column
  readonly parentKey: Column
  /** Which claimed rows count toward their parent's `counter` (evaluated on the claimed row). */
  readonly releases: SQL
  readonly counter: Column
  readonly set: SqlValues
  readonly parentSet: SqlValues
}

/**
 * A conditional UPDATE and the rows to insert for each updated row, in one statement: each row to
 * insert names its `owner`, the `key` of the updated row it belongs to, and is inserted iff that
 * row matched `where`.
 */
export type SqlUpdateInsertingOwnedQuery = {
  readonly set: SqlValues
  readonly where: SQL
  readonly key: Column
  /** The columns every inserted row writes (an absent value is NULL). */
  readonly insertColumns: ReadonlyArray<readonly [key: string, column: Column]>
  readonly rows: ReadonlyArray<{ readonly owner: string; readonly values: SqlValues }>
}

/** A locking SELECT kept as a subquery: usable in `IN (…)` or, aliased, in an UPDATE's FROM. */
export type ClaimCandidatesSubquery = SQLWrapper & {
  /** The SELECT as a named subquery whose fields render qualified by `alias`. */
  as(alias: string): Record<string, unknown>
}

/**
 * How another process learns that something changed: notifications sent in the writing
 * transaction (PostgreSQL), or a version the database keeps, polled (MySQL, SQLite).
 */
export type SqlChangeSignal<TDb> =
  | {
      readonly kind: 'notify'
      /**
       * Listens on `channel` on a connection of its own until closed; `onNotification` gets each
       * notification's payload, and `undefined` after the connection came back from a fault.
       */
      readonly listen: (db: TDb, channel: string, onNotification: (payload: string | undefined) => void) => Promise<NotificationListener>
      /** A SELECT that sends `payload` on `channel` (delivered when its transaction commits). */
      readonly notify: (channel: string, payload: string) => SQL
    }
  | {
      readonly kind: 'poll'
      /** A one-row query whose value changes when another process commits a change to `table`. */
      readonly versionQuery: (table: Table, primaryKey: Column) => SQL
      /**
       * The database's file, where every commit writes to it or to files named after it (SQLite's
       * `-wal`, `-journal`): watched, so the version is read only after such a write instead of
       * on a timer. `undefined` (an in-memory database, an unknown driver) keeps the polling.
       */
      readonly watchedFile?: (db: TDb) => string | undefined
      /**
       * Whether only inserts change the version (the highest id): a new version then means new
       * executions, which only the pickup claims, so the other sweeps are not woken for it.
       */
      readonly onlyInsertsChangeVersion?: boolean
    }

/**
 * The change signal of a dialect without notifications whose connections do not share a commit
 * counter: the highest id, read from the primary key's end, grows with every insert (and nothing else).
 */
export const highestIdChangeSignal: {
  /** Polled: the dialect has no notifications. */
  readonly kind: 'poll'
  /** The highest id of `table`, from its primary key's end. */
  readonly versionQuery: (table: Table, primaryKey: Column) => SQL
  /** A new highest id means rows were inserted. */
  readonly onlyInsertsChangeVersion: true
} = {
  kind: 'poll',
  versionQuery: (table, primaryKey) => sql`select max(${primaryKey}) as version from ${table}`,
  onlyInsertsChangeVersion: true,
}

/** `key IN (subquery)`, in the dialect's form that runs the subquery once (see {@link SqlDialect.inSubqueryRunOnce}). */
export function inSubqueryRunOnce(dialect: Pick<SqlDialect<unknown>, 'inSubqueryRunOnce'>, key: Column, subquery: SQLWrapper): SQL {
  return dialect.inSubqueryRunOnce === undefined ? inArray(key, subquery) : dialect.inSubqueryRunOnce(key, subquery)
}

/** How the dialect creates tables at runtime (see `src/jobs/ddl.ts`). */
export type SqlDdlCapabilities = {
  /** The type and constraints of an auto-incrementing integer primary key. */
  readonly autoIncrementPrimaryKey: SQL
  /** Whether indexes go inside CREATE TABLE (MySQL 8 has no `CREATE INDEX IF NOT EXISTS`). */
  readonly indexesInline: boolean
}

/**
 * One dialect's primitives over any table. Nested transactions: calling `transaction` with a
 * transaction handle opens a savepoint on every dialect, so an inner failure rolls back only the
 * inner unit (drizzle's savepoints on PostgreSQL and MySQL; explicit savepoints on SQLite).
 */
export type SqlDialect<TDb> = {
  /** Named in error messages. */
  readonly dialectName: 'PostgreSQL' | 'MySQL' | 'SQLite'
  /** Most bound parameters one statement may carry; shared code chunks multi-row statements under it. */
  readonly maxBoundParameters: number
  /** Most bytes of values one statement should carry (mysql2 interpolates them into the text). */
  readonly maxStatementBytes: number
  /** Reads the server's limit on one statement's size (MySQL's `max_allowed_packet`); `undefined` where none binds. */
  readonly packetLimitQuery: SQL | undefined
  /** Driver error codes per kind, for `classifyDatabaseError`. */
  readonly errorCodes: DatabaseErrorCodes
  /** Runtime DDL capabilities. */
  readonly ddl: SqlDdlCapabilities
  /** The rows (or selected fields) of `table` matching the query. */
  readonly selectRows: (db: TDb, table: Table, query: SqlSelectQuery) => Promise<Array<SqlRow>>
  /**
   * Up to `limit` rows matching `where`, locked so that a concurrent claimer skips them
   * (`FOR UPDATE SKIP LOCKED`; on SQLite the immediate transaction already excludes other writers).
   * Call it inside `transaction`.
   */
  readonly selectRowsToClaim: (db: TDb, table: Table, query: SqlClaimQuery) => Promise<Array<SqlRow>>
  /**
   * The SELECT of {@link selectRowsToClaim}, not run, for {@link queryRows} (raw rows keyed by
   * column name, read without drizzle's per-row mapping): where a claim without UPDATE … RETURNING
   * reads the rows it locks in the same statement instead of again after its UPDATE (MySQL).
   */
  readonly selectToClaimStatement?: (db: TDb, table: Table, query: SqlClaimQuery) => SQL
  /**
   * The rows {@link selectRowsToClaim} would lock (the query's fields), not run but kept as a
   * subquery, locking as that SELECT does, for an UPDATE's WHERE ({@link inSubqueryRunOnce}) or
   * a WITH clause: one statement then claims without an explicit transaction. Absent where the
   * dialect has no such subquery (MySQL rejects LIMIT inside IN).
   */
  readonly claimCandidates?: (db: TDb, table: Table, query: SqlClaimQuery) => ClaimCandidatesSubquery
  /**
   * `key IN (subquery)` for an UPDATE's WHERE, with the subquery run exactly once before any row
   * is read and the keys found by index (PostgreSQL: `key = any(array(…))`, an InitPlan; its
   * planner may run `key IN (…)` as a hash join over every row of the table, or run a locking
   * subquery again per row and take more rows than asked). Absent where `key IN (…)` already
   * does that (SQLite).
   */
  readonly inSubqueryRunOnce?: (key: Column, subquery: SQLWrapper) => SQL
  /**
   * Claims as {@link claimCandidates} would, applies the query's `set` and releases the claimed
   * rows to their parents (see {@link SqlClaimReleasingQuery}), all in one statement; resolves to
   * how many rows it claimed. Absent where one statement cannot update a table twice (MySQL,
   * SQLite): the caller then runs the claim and the release in a transaction.
   */
  readonly claimReleasingToParents?: (db: TDb, table: Table, query: SqlClaimReleasingQuery) => Promise<number>
  /**
   * Updates the rows matching `where` and inserts the rows owned by the ones that matched, in one
   * statement; resolves to the `key` values of the updated rows. Absent where the dialect has no
   * data-modifying subquery (MySQL, SQLite): the caller then runs both in a transaction.
   */
  readonly updateInsertingOwned?: (db: TDb, table: Table, query: SqlUpdateInsertingOwnedQuery) => Promise<Array<unknown>>
  /** Inserts the rows in one statement (callers chunk them); a duplicate key rejects the statement. */
  readonly insertRows: (db: TDb, table: Table, rows: ReadonlyArray<SqlValues>) => Promise<void>
  /**
   * The multi-row INSERT of rows that each write the given columns (an absent value is NULL), built
   * flat (`flat-statements.ts`): a VALUES list, or on PostgreSQL one array parameter per column.
   */
  readonly insertEveryColumn: (
    table: Table,
    columns: ReadonlyArray<readonly [key: string, column: Column]>,
    rows: ReadonlyArray<Record<string, unknown>>,
  ) => SQL
  /**
   * What follows a multi-row INSERT built flat (`flat-statements.ts`) so that rows violating a
   * unique key are skipped silently: `ON CONFLICT DO NOTHING`, or MySQL's no-op `ON DUPLICATE KEY
   * UPDATE id = id`.
   */
  readonly ignoreDuplicatesClause: (primaryKey: SqlPrimaryKey) => SQL
  /** Inserts the rows in one statement, silently skipping those that violate a unique key. */
  readonly insertRowsIgnoringDuplicates: (
    db: TDb,
    table: Table,
    rows: ReadonlyArray<SqlValues>,
    primaryKey: SqlPrimaryKey,
  ) => Promise<void>
  /** Inserts one row and returns its generated primary key. */
  readonly insertRowReturningId: (db: TDb, table: Table, row: SqlValues, primaryKey: SqlPrimaryKey) => Promise<number>
  /** Updates the rows matching `where` and returns how many matched (not merely changed). */
  readonly updateRows: (db: TDb, table: Table, set: SqlValues, where: SQL | undefined) => Promise<number>
  /**
   * Updates the rows matching `where` and returns the `fields` of each as the UPDATE left them, in
   * one statement (`UPDATE … RETURNING`). Absent where the dialect has no such statement (MySQL):
   * the session then updates and reads in one transaction.
   */
  readonly updateRowsReturning?: (db: TDb, table: Table, set: SqlValues, where: SQL | undefined, fields: Record<string, Column>) => Promise<Array<SqlRow>>
  /** Inserts one row and returns it as stored (`INSERT … RETURNING`). Absent on MySQL, whose version 8 lacks it. */
  readonly insertRowReturning?: (db: TDb, table: Table, row: SqlValues) => Promise<SqlRow>
  /** Deletes the rows matching `where` and returns how many it deleted. */
  readonly deleteRows: (db: TDb, table: Table, where: SQL | undefined) => Promise<number>
  /**
   * Runs `fn` in a transaction and commits when it resolves, rolls back when it throws. With a
   * transaction handle as `db`, runs `fn` in a savepoint instead.
   */
  readonly transaction: <T>(db: TDb, fn: (tx: TDb) => Promise<T>) => Promise<T>
  /**
   * {@link transaction} for work that only inserts rows (no UPDATE: even one filtered on a unique
   * key may range-scan another index), where the dialect can open it with fewer statements
   * (MySQL: without `SET TRANSACTION ISOLATION LEVEL`); absent where it is the same as
   * {@link transaction}.
   */
  readonly writeTransaction?: <T>(db: TDb, fn: (tx: TDb) => Promise<T>) => Promise<T>
  /** Runs one statement whose result does not matter (DDL). */
  readonly executeStatement: (db: TDb, statement: SQL) => Promise<void>
  /** Runs one statement and returns its rows keyed by the database's column names (`RETURNING`, a SELECT). */
  readonly queryRows: (db: TDb, statement: SQL) => Promise<Array<SqlRow>>
  /** The database's clock in milliseconds since the epoch, as an integer expression. */
  readonly currentTimeMs: SQL
  /**
   * `value` bound as a parameter of `column`'s type, as chunks for `sql.fromList`: cast where the
   * database cannot infer a parameter's type from its place (inside CASE on PostgreSQL, whose
   * driver sends parameters untyped), plain elsewhere.
   */
  readonly typedValue: (value: unknown, column: Column) => ReadonlyArray<SQLChunk>
  /** How other processes learn of changes (the storages' `subscribeToChanges`). */
  readonly changeSignal: SqlChangeSignal<TDb>
}
