/**
 * Claims of job rows (steps, timers) written once: the first `limit` rows matching a condition, in
 * order, are locked so that concurrent claimers skip them and updated so that each is claimed by
 * exactly one caller. One statement where the dialect can (`UPDATE … WHERE id = any(array(SELECT …
 * FOR UPDATE SKIP LOCKED)) RETURNING` on PostgreSQL, `id IN (SELECT …)` under SQLite's write lock); on MySQL a
 * short transaction: the locking SELECT, the UPDATE, then a read of the claimed rows. A claim may
 * write other values to some of the rows it takes (`instead`: a step whose lease expired after its
 * last attempt is failed, not claimed again) without a statement more.
 */
import { and, getTableColumns, inArray, is, not, SQL, sql, type Column, type Table } from 'drizzle-orm'
import { primaryKeyOf, type SqlRow, type SqlSession } from '../sql/index.js'

/** Values written to the claimed rows that meet `when`, in place of the claim's own. */
export type RowClaimInstead = {
  /** A condition on the row alone, as it was before the claim. */
  readonly when: SQL
  /** The values written to those rows (columns it leaves out keep their value). */
  readonly set: Record<string, unknown>
}

/** Which rows a claim takes and what it writes to them. */
export type RowClaim = {
  /** The rows that may be claimed (may hold subqueries over other rows and tables). */
  readonly where: SQL | undefined
  /** A condition on the row alone, checked again by the UPDATE of the locked rows (MySQL), so a claim never overwrites another's. */
  readonly recheck: SQL | undefined
  readonly orderBy: Array<SQL>
  readonly limit: number
  /** The values written to each claimed row. */
  readonly set: Record<string, unknown>
  /** Other values for some of the rows taken (they count as taken: other claimers skip them too). */
  readonly instead?: RowClaimInstead
}

/** Claims up to `claim.limit` rows of `table` and returns them as they are afterwards (in no particular order). */
export async function claimRows(session: SqlSession, table: Table, claim: RowClaim): Promise<Array<SqlRow>> {
  const id: Column = primaryKeyOf(table).column
  const { instead } = claim
  const { claimCandidatesWhere } = session
  if (claimCandidatesWhere !== undefined && session.updateReturnsRows) {
    // One statement: the subquery locks the candidates (skipping rows others hold), the UPDATE takes
    // them. The subquery runs once (under IN, PostgreSQL may run it again for each row it scans and
    // take more rows than asked for). The lock re-evaluates the candidate's conditions on the row's
    // newest version (PostgreSQL), and SQLite runs the statement alone, so no recheck is needed here.
    const byCandidates = claimCandidatesWhere(table, { where: claim.where, orderBy: claim.orderBy, limit: claim.limit }, id)
    const set = instead === undefined ? claim.set : setEitherWay(session, table, claim.set, instead)
    return session.updateRowsReturning(table, set, byCandidates)
  }
  return session.transaction(async (tx) => {
    // Locks the candidates until commit; concurrent claimers skip them (SKIP LOCKED). Reads
    // whether each takes the other values, as MySQL's UPDATE could not decide it per column: it
    // assigns left to right, each assignment seeing the ones before it.
    const fields: Record<string, Column | SQL> = instead === undefined ? { id } : { id, instead: sql`case when ${instead.when} then 1 else 0 end` }
    const locked = await tx.selectRowsToClaim(table, { where: claim.where, orderBy: claim.orderBy, limit: claim.limit, fields })
    if (locked.length === 0) return []
    const ids = locked.map((row) => row.id)
    const insteadIds = locked.filter((row) => Number(row.instead) === 1).map((row) => row.id)
    // MySQL rejects a subquery on the updated table, so the UPDATEs name the locked ids.
    if (instead !== undefined && insteadIds.length > 0) await tx.updateRows(table, instead.set, and(inArray(id, insteadIds), instead.when))
    if (insteadIds.length < ids.length) {
      const claimIds = insteadIds.length === 0 ? ids : ids.filter((value) => !insteadIds.includes(value))
      await tx.updateRows(table, claim.set, and(inArray(id, claimIds), claim.recheck, instead && not(instead.when)))
    }
    // Read inside the transaction, so the rows are exactly as this claim left them.
    return tx.selectRows(table, { where: inArray(id, ids) })
  })
}

/**
 * One SET writing `set` to rows that do not meet `instead.when` and `instead.set` to those that
 * do: `col = case when … then … else … end` per column the two differ in, evaluated on the row
 * as it was (PostgreSQL and SQLite read every assignment's operands before any assignment).
 */
function setEitherWay(session: SqlSession, table: Table, set: Record<string, unknown>, instead: RowClaimInstead): Record<string, unknown> {
  const columns: Record<string, Column> = getTableColumns(table)
  const merged: Record<string, unknown> = {}
  for (const key of new Set([...Object.keys(set), ...Object.keys(instead.set)])) {
    const claimValue = set[key]
    const otherValue = instead.set[key]
    const column = columns[key]
    if (column === undefined || (Object.hasOwn(set, key) && Object.hasOwn(instead.set, key) && claimValue === otherValue && !is(claimValue, SQL))) {
      merged[key] = claimValue
      continue
    }
    const side = (values: Record<string, unknown>, value: unknown) => (Object.hasOwn(values, key) ? valueExpression(session, value, column) : column)
    merged[key] = sql`(case when ${instead.when} then ${side(instead.set, otherValue)} else ${side(set, claimValue)} end)`
  }
  return merged
}

/** A value of a CASE branch: SQL as it is, NULL, or bound with the column's type. */
function valueExpression(session: SqlSession, value: unknown, column: Column): SQL {
  if (is(value, SQL)) return value
  return value === null || value === undefined ? sql`null` : session.typedValue(value, column)
}
