/**
 * The SELECTs every dialect builds alike with drizzle's builder chain: the methods are the same on
 * PostgreSQL, MySQL and SQLite and only their types differ, so the database is seen through the
 * small structural view below. A dialect adds what differs (row locks) to the returned query.
 */
import type { Column, SQL, Table } from 'drizzle-orm'
import type { ClaimCandidatesSubquery, SqlClaimQuery, SqlRow, SqlSelectQuery } from './dialect.js'

/** The rows a query resolves to. */
export type Rows = PromiseLike<Array<SqlRow>>

/** A claim's candidate rows, to which a dialect with row locks adds `FOR UPDATE SKIP LOCKED`. */
export type ClaimCandidatesQuery = Rows & ClaimCandidatesSubquery & {
  /** The same query with `FOR UPDATE SKIP LOCKED`. */
  for(strength: 'update', config: { skipLocked: true }): Rows & ClaimCandidatesSubquery
}

/** MySQL's index hint, which only MySQL's builder takes (the others are never given one). */
export type IndexHint = {
  /** The name of the index the SELECT must walk (`FORCE INDEX`). */
  readonly forceIndex: string
}

type SelectBuilderDatabase = {
  select(fields?: Record<string, SQL | Column>): {
    from(table: Table, hint?: IndexHint): {
      where(where: SQL | undefined): {
        groupBy(...groupBy: Array<SQL>): {
          orderBy(...orderBy: Array<SQL>): { limit(limit: number | undefined): { offset(offset: number | undefined): Rows } }
        }
        orderBy(...orderBy: Array<SQL>): { limit(limit: number): ClaimCandidatesQuery }
      }
    }
  }
}

const asSelectBuilder = (db: unknown) => db as SelectBuilderDatabase

/** The rows (or selected fields) of `table` matching the query; drizzle leaves out the parts that are undefined. */
export function selectRowsWithBuilder(db: unknown, table: Table, query: SqlSelectQuery): Rows {
  return asSelectBuilder(db)
    .select(query.fields)
    .from(table)
    .where(query.where)
    .groupBy(...query.groupBy)
    .orderBy(...query.orderBy)
    .limit(query.limit)
    .offset(query.offset)
}

/** Up to `limit` rows matching `where` (whole, or the query's fields), in claim order; on `hint`'s index where given (MySQL). */
export function selectClaimCandidates(db: unknown, table: Table, query: SqlClaimQuery, hint?: IndexHint): ClaimCandidatesQuery {
  return asSelectBuilder(db).select(query.fields).from(table, hint).where(query.where).orderBy(...query.orderBy).limit(query.limit)
}

/** {@link selectClaimCandidates} with `FOR UPDATE SKIP LOCKED`: rows other claimers locked are skipped (dialects with row locks). */
export function selectLockedClaimCandidates(db: unknown, table: Table, query: SqlClaimQuery): Rows & ClaimCandidatesSubquery {
  return selectClaimCandidates(db, table, query).for('update', { skipLocked: true })
}

/**
 * {@link selectLockedClaimCandidates} walking the query's `index` (`FORCE INDEX`), where one is
 * named (MySQL / MariaDB). Its planner may prefer another index that also gives the claim's order
 * (`close_status, updated_at` for a claim of finished rows not yet closed): the locking read then
 * walks and locks rows of every other state, and other claimers skip them meanwhile.
 */
export function selectLockedClaimCandidatesOnIndex(db: unknown, table: Table, query: SqlClaimQuery): Rows & ClaimCandidatesSubquery {
  const hint = query.index === undefined ? undefined : { forceIndex: query.index }
  return selectClaimCandidates(db, table, query, hint).for('update', { skipLocked: true })
}
