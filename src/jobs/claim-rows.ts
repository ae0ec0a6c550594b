/**
 * Claims of job rows (steps, timers) written once: the first `limit` rows matching a condition, in
 * order, are locked so that concurrent claimers skip them and updated so that each is claimed by
 * exactly one caller. One statement where the dialect can (`UPDATE … WHERE id IN (SELECT … FOR
 * UPDATE SKIP LOCKED) RETURNING` on PostgreSQL, the same under SQLite's write lock); on MySQL a
 * short transaction: the locking SELECT, the UPDATE, then a read of the claimed rows.
 */
import { and, inArray, sql, type Column, type SQL, type Table } from 'drizzle-orm'
import { primaryKeyOf, type SqlRow, type SqlSession } from '../sql/index.js'

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
}

/** Claims up to `claim.limit` rows of `table` and returns them as they are afterwards (in no particular order). */
export async function claimRows(session: SqlSession, table: Table, claim: RowClaim): Promise<Array<SqlRow>> {
  const id: Column = primaryKeyOf(table).column
  const query = { where: claim.where, orderBy: claim.orderBy, limit: claim.limit, fields: { id } }
  const { claimCandidates } = session
  if (claimCandidates !== undefined && session.updateReturnsRows) {
    // One statement: the subquery locks the candidates (skipping rows others hold), the UPDATE takes
    // them. One candidate is compared as a scalar, which PostgreSQL runs once; under IN it may run
    // the locking subquery again for each row it scans and take more rows than asked for. The
    // lock re-evaluates the candidate's conditions on the row's newest version (PostgreSQL), and
    // SQLite runs the statement alone, so no recheck is needed here.
    const candidates = claimCandidates(table, query)
    return session.updateRowsReturning(table, claim.set, claim.limit === 1 ? sql`${id} = ${candidates}` : inArray(id, candidates))
  }
  return session.transaction(async (tx) => {
    // Locks the candidates until commit; concurrent claimers skip them (SKIP LOCKED).
    const ids = (await tx.selectRowsToClaim(table, query)).map((row) => row.id)
    if (ids.length === 0) return []
    // MySQL rejects a subquery on the updated table, so the UPDATE names the locked ids.
    await tx.updateRows(table, claim.set, and(inArray(id, ids), claim.recheck))
    // Read inside the transaction, so the rows are exactly as this claim left them.
    return tx.selectRows(table, { where: inArray(id, ids) })
  })
}
