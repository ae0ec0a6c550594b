/**
 * Claims (spec 2.3, 3.5): each is one transaction that locks the first `limit` matching rows in
 * order (other claimers skip them), updates exactly those, and returns them in the claimed order
 * as they are afterwards; the close-ready sweep also releases each claimed child to its parent.
 */
import { and, asc, eq, inArray, is, isNull, or, SQL, sql } from 'drizzle-orm'
import { applyTaskExecutionStorageUpdate, type TaskExecutionStorageUpdate, type TaskExecutionStorageValue } from '../core/index.js'
import { taskExecutionsIndexName, type TaskExecutionsColumnKey, type TaskExecutionsIndexSpec, type TaskExecutionsSet } from './columns.js'
import { updateToSet } from './conditions.js'
import type { ClaimCandidate, TaskExecutionsDialect } from './dialect.js'
import { runWithConflictRetry } from '../sql/errors.js'
import { caseByKeyExpression } from '../sql/flat-statements.js'
import { taskExecutionRowToValue } from './row-mapping.js'

/** One claim: which rows, in what order, how many, and what to write. */
export type Claim = {
  readonly where: SQL | undefined
  readonly orderBy: TaskExecutionsColumnKey
  readonly limit: number
  /** The index made for this claim's WHERE and order (spec 3.3), which the claim walks. */
  readonly index: TaskExecutionsIndexSpec
  readonly update: TaskExecutionStorageUpdate
  /** Each claimed row also gets `expiresAt = expiresAtBase + timeoutMs`. */
  readonly expiresAtBase?: number
  /** Decrement the parent's active-children count for each claimed ordinary child. */
  readonly releasesChildrenToParents?: boolean
  /** Add one to each claimed row's `expiryCount` (the expiry sweep of runs). */
  readonly incrementsExpiryCount?: boolean
  /** Claimed rows without closing work are closed at this time instead (`core/closing-work.ts`). */
  readonly closesRowsWithoutClosingWorkAt?: number | undefined
  /**
   * The claimed rows were `ready` and are read only to be run: return just their run columns
   * (`RUN_COLUMN_KEYS`), read by hand (see `createRunValueReader`).
   */
  readonly returnsRunValues?: boolean
  /**
   * Where the claim needs a transaction: first look for one row to claim without one (a single
   * locking SELECT), and claim nothing if there is none. For claims that often find nothing: an
   * empty claim is then one statement instead of three.
   */
  readonly looksBeforeTransaction?: boolean
}

/** What a claim did: how many rows it claimed and, when asked, the rows as they are afterwards. */
type ClaimResult = { count: number; rows: Array<TaskExecutionStorageValue> }

/** Runs one claim; `returnsRows` reads the claimed rows back (otherwise only counts them). */
export async function runClaim<TDb>(
  dialect: TaskExecutionsDialect<TDb>,
  db: TDb,
  claim: Claim,
  returnsRows: boolean,
): Promise<ClaimResult> {
  const { columns } = dialect
  const set = updateToSet(claim.update)
  if (claim.expiresAtBase && claim.update.unset?.expiresAt !== true) {
    set.expiresAt = sql`${dialect.typedParameter(claim.expiresAtBase, columns.expiresAt)} + ${columns.timeoutMs}`
  }
  if (claim.incrementsExpiryCount) set.expiryCount = sql`${columns.expiryCount} + 1`
  if (claim.closesRowsWithoutClosingWorkAt !== undefined) closeRowsWithoutClosingWork(dialect, set, claim.closesRowsWithoutClosingWorkAt)
  const orderBy = [asc(columns[claim.orderBy])]
  const limit = Math.floor(claim.limit)
  const index = taskExecutionsIndexName(dialect.tableName, claim.index)
  const scan = { where: claim.where, orderBy, limit, index }
  const inOneStatement = claimInOneStatement(dialect, claim, set, orderBy, limit, returnsRows)
  if (inOneStatement !== undefined) {
    // On a one-connection driver the statement must still wait for other callers' transactions.
    return runWithConflictRetry(
      () => (dialect.capabilities.oneOperationAtATime ? dialect.transaction(db, inOneStatement) : inOneStatement(db)),
      dialect.errorCodes,
    )
  }
  // One row, locked for this statement only: a transaction now would find nothing either.
  if (claim.looksBeforeTransaction && (await dialect.selectRowsToClaim(db, { ...scan, limit: 1 })).length === 0) {
    return { count: 0, rows: [] }
  }
  const { selectValuesToClaim } = dialect
  if (returnsRows && selectValuesToClaim && !claim.releasesChildrenToParents && claim.closesRowsWithoutClosingWorkAt === undefined) {
    return runWithConflictRetry(
      () =>
        dialect.transaction(db, async (tx) => {
          // Lock the rows to claim and read them, in the claim's order; rows locked by other claimers are skipped.
          const locked = await selectValuesToClaim(tx, scan, claim.returnsRunValues === true)
          if (locked.length === 0) return { count: 0, rows: [] }
          // Update exactly those (locked, so every one matches); they are as `update` leaves them, no need to read them again.
          const count = await dialect.updateRows(tx, set, inArray(columns.executionId, locked.map((row) => row.executionId)))
          return { count, rows: locked.map((row) => applyClaimUpdate(row, claim)) }
        }),
      dialect.errorCodes,
    )
  }
  return runWithConflictRetry(
    () =>
      dialect.transaction(db, async (tx) => {
        // Lock the rows to claim, in the claim's order; rows locked by other claimers are skipped.
        const claimed = await dialect.selectRowsToClaim(tx, scan)
        if (claimed.length === 0) return { count: 0, rows: [] }
        const ids = claimed.map((row) => row.executionId)
        const { count, rows } = await updateClaimed(dialect, tx, set, inArray(columns.executionId, ids), returnsRows, claim)
        if (claim.releasesChildrenToParents) await releaseChildrenToParents(dialect, tx, claimed, claim.update.updatedAt)
        const position = new Map(ids.map((id, index) => [id, index]))
        rows.sort((left, right) => position.get(left.executionId)! - position.get(right.executionId)!)
        return { count, rows }
      }),
    dialect.errorCodes,
  )
}

/** A claimed row as the claim's UPDATE leaves it (see `runClaim`'s `set`). */
function applyClaimUpdate(row: TaskExecutionStorageValue, claim: Claim): TaskExecutionStorageValue {
  const claimed = applyTaskExecutionStorageUpdate(row, claim.update, claim.expiresAtBase)
  if (claim.incrementsExpiryCount) claimed.expiryCount = (row.expiryCount ?? 0) + 1
  return claimed
}

/**
 * The claim as one statement, where the dialect can (no BEGIN/SELECT/COMMIT round trips): the
 * locking subquery picks and skips rows as the transaction's SELECT would. Rows come back in no
 * particular order, so they are sorted by the order column, or by its value before the update
 * where the update overwrites it; a claim that releases children to their parents does that in
 * the same statement. `undefined` when the claim needs the transaction (the dialect cannot do it
 * in one statement, or cannot return the rows in order).
 */
function claimInOneStatement<TDb>(
  dialect: TaskExecutionsDialect<TDb>,
  claim: Claim,
  set: TaskExecutionsSet,
  orderBy: ReadonlyArray<SQL>,
  limit: number,
  returnsRows: boolean,
): ((db: TDb) => Promise<ClaimResult>) | undefined {
  const { columns, amongClaimCandidates, claimReleasingChildren, claimRowsReturningOrder, updateRowsReturning } = dialect
  if (claim.releasesChildrenToParents) {
    // The statement writes the counter of claimed parents itself, so the claim's update must not.
    if (returnsRows || !claimReleasingChildren || set.activeChildrenCount !== undefined) return undefined
    return async (db) => ({ count: await claimReleasingChildren(db, set, claim.where, orderBy, limit, claim.update.updatedAt), rows: [] })
  }
  const orderColumnWritten = set[claim.orderBy as keyof TaskExecutionsSet] !== undefined
  if (returnsRows && orderColumnWritten && claimRowsReturningOrder) {
    return async (db) => {
      const rows = await claimRowsReturningOrder(db, set, claim.where, columns[claim.orderBy], limit)
      rows.sort((left, right) => compareClaimOrder(left.claimOrder, right.claimOrder))
      return { count: rows.length, rows: rows.map(taskExecutionRowToValue) }
    }
  }
  if (!amongClaimCandidates || (returnsRows && (orderColumnWritten || !updateRowsReturning))) return undefined
  return async (db) => {
    const byClaimedIds = amongClaimCandidates(db, claim.where, orderBy, limit)
    const { count, rows } = await updateClaimed(dialect, db, set, byClaimedIds, returnsRows, claim)
    // The order column is not written here, so the values still hold the order it was claimed in.
    const orderKey = claim.orderBy as keyof TaskExecutionStorageValue
    rows.sort((left, right) => compareClaimOrder(left[orderKey], right[orderKey]))
    return { count, rows }
  }
}

/**
 * Makes `set` close each claimed row without closing work (`hasClosingWork` in
 * `core/closing-work.ts` false) at `closedAt` (or at its `finishedAt`, if later), and write the
 * others as it did. The test is a little stricter than `hasClosingWork` (a row that did not
 * complete with an empty children list counts as having work): such a row goes the close sweep's
 * way, which closes it all the same.
 */
function closeRowsWithoutClosingWork<TDb>(dialect: TaskExecutionsDialect<TDb>, set: TaskExecutionsSet, closedAt: number): void {
  const { columns, typedParameter } = dialect
  const withoutClosingWork = and(
    or(isNull(columns.isFinalizeOfParent), eq(columns.isFinalizeOfParent, false)),
    or(eq(columns.status, 'completed'), and(isNull(columns.children), isNull(columns.finalize))),
  )
  const otherwise = (key: 'closeStatus' | 'closedAt') => {
    const value = set[key]
    if (value === undefined) return columns[key]
    return is(value, SQL) ? value : typedParameter(value, columns[key])
  }
  set.closeStatus = sql`case when ${withoutClosingWork} then ${typedParameter('closed', columns.closeStatus)} else ${otherwise('closeStatus')} end`
  // Never before the row finished: a finish committed after the sweep read its clock is claimed too.
  const at = typedParameter(closedAt, columns.closedAt)
  const notBeforeFinish = sql`case when ${columns.finishedAt} > ${at} then ${columns.finishedAt} else ${at} end`
  set.closedAt = sql`case when ${withoutClosingWork} then ${notBeforeFinish} else ${otherwise('closedAt')} end`
}

/** Claim order of the rows an UPDATE … RETURNING gave back: by the claim's order column. */
function compareClaimOrder(left: unknown, right: unknown): number {
  if (left == null || right == null) return left == null ? (right == null ? 0 : -1) : 1
  return Number(left) - Number(right)
}

/** Updates the claimed rows and, when asked, reads them back as values (only their run columns for `returnsRunValues`). */
async function updateClaimed<TDb>(
  dialect: TaskExecutionsDialect<TDb>,
  tx: TDb,
  set: TaskExecutionsSet,
  byIds: SQL,
  returnsRows: boolean,
  claim: Claim,
): Promise<ClaimResult> {
  if (returnsRows && claim.returnsRunValues && dialect.updateRowsReturningRunValues) {
    // Update the claimed rows and read back the columns their runs need, in the same statement.
    const rows = await dialect.updateRowsReturningRunValues(tx, set, byIds)
    return { count: rows.length, rows }
  }
  if (returnsRows && dialect.updateRowsReturning) {
    // Update the claimed rows and read them back in the same statement.
    const rows = await dialect.updateRowsReturning(tx, set, byIds)
    return { count: rows.length, rows: rows.map(taskExecutionRowToValue) }
  }
  // Update the claimed rows (they are locked, so every one of them matches).
  const count = await dialect.updateRows(tx, set, byIds)
  if (!returnsRows) return { count, rows: [] }
  // Without UPDATE … RETURNING (MySQL), read the claimed rows back inside the transaction.
  const rows = claim.returnsRunValues ? await dialect.selectRunValues(tx, byIds) : (await dialect.selectRows(tx, byIds)).map(taskExecutionRowToValue)
  return { count, rows }
}

/**
 * Releases each claimed child to its parent (spec 2.3): one UPDATE decrementing every parent's
 * counter by its number of claimed children. Finalize children are skipped (our choice, spec 2.3).
 */
async function releaseChildrenToParents<TDb>(
  dialect: TaskExecutionsDialect<TDb>,
  tx: TDb,
  claimed: ReadonlyArray<ClaimCandidate>,
  updatedAt: number,
): Promise<void> {
  const { columns, typedValue } = dialect
  const amounts = new Map<string, number>()
  for (const row of claimed) {
    if (row.parentExecutionId == null || row.isFinalizeOfParent === true) continue
    amounts.set(row.parentExecutionId, (amounts.get(row.parentExecutionId) ?? 0) + 1)
  }
  if (amounts.size === 0) return
  const parentIds = [...amounts.keys()].sort()
  const decrements = caseByKeyExpression(
    columns.executionId,
    parentIds.map((id) => [id, typedValue(amounts.get(id), columns.activeChildrenCount)]),
    sql`0`,
  )
  // Decrement every parent at once; parent ids sorted so concurrent sweeps lock in one order.
  await dialect.updateRows(
    tx,
    {
      activeChildrenCount: sql`${columns.activeChildrenCount} - ${decrements}`,
      updatedAt,
    },
    inArray(columns.executionId, parentIds),
  )
}
