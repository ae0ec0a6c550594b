/**
 * The storage's statements on one task-executions table: the dialect's generic seam applied to the
 * table, plus the one statement the seam has no intent for (UPDATE returning the updated rows,
 * where the dialect has RETURNING). That one is built from drizzle's builder chain, which the
 * three dialects share; its types differ per dialect, so the database is seen through the small
 * structural view below.
 */
import { asc, getTableColumns, sql, type SQL, type Table } from 'drizzle-orm'
import { inSubqueryRunOnce, type SqlDialect } from '../sql/dialect.js'
import { selectStatement, setAssignments, updateStatement } from '../sql/flat-statements.js'
import type { TaskExecutionsColumns, TaskExecutionsRow } from './columns.js'
import type { ClaimCandidate, TaskExecutionsDialectExtras, TaskExecutionsQueryPrimitives } from './dialect.js'
import {
  CHILD_RESULT_COLUMN_KEYS,
  createChildResultReader,
  createRowReader,
  createRunValueReader,
  RUN_COLUMN_KEYS,
  taskExecutionRowToValue,
} from './row-mapping.js'

/**
 * A database that runs a statement and gives the driver's result (PostgreSQL's and MySQL's drizzle
 * databases): on MySQL, what the dialect's affected-rows extractor reads, as from drizzle's UPDATE builder.
 */
type ExecutingDatabase = { execute(statement: SQL): PromiseLike<unknown> }

const asExecutor = (db: unknown) => db as ExecutingDatabase

/** The primitives of a dialect over `table`. */
export function queryPrimitives<TDb>(
  table: Table & TaskExecutionsColumns,
  seam: SqlDialect<TDb>,
  extras: Pick<TaskExecutionsDialectExtras<TDb>, 'capabilities' | 'affectedRowsCount'>,
): TaskExecutionsQueryPrimitives<TDb> {
  const fields = getTableColumns(table)
  // The database assigns `id`; every other column is written, NULL when absent.
  const insertColumns = Object.entries(fields).filter(([key]) => key !== 'id')
  // The ids of the rows an UPDATE changed, one per row (dialects with RETURNING).
  const updateReturningIds = async (db: TDb, set: Record<string, unknown>, where: SQL) =>
    (await seam.queryRows(db, updateStatement(table, fields, set, where, table.executionId))).map((row) => String(row[table.executionId.name]))
  const { affectedRowsCount } = extras
  const { claimCandidates } = seam
  const runColumns = RUN_COLUMN_KEYS.map((key) => table[key])
  const runFields = Object.fromEntries(RUN_COLUMN_KEYS.map((key) => [key, table[key]]))
  const readRunValue = createRunValueReader(table)
  const childResultColumns = CHILD_RESULT_COLUMN_KEYS.map((key) => table[key])
  const readChildResult = createChildResultReader(table)
  const allColumns = Object.values(fields)
  const readRow = createRowReader(fields)
  const claimFields = {
    executionId: table.executionId,
    parentExecutionId: table.parentExecutionId,
    isFinalizeOfParent: table.isFinalizeOfParent,
  }
  const { claimReleasingToParents, updateInsertingOwned, selectToClaimStatement } = seam
  return {
    // Every column, read by hand.
    selectRows: async (db, where) => (await seam.queryRows(db, selectStatement(table, allColumns, where ?? sql`1 = 1`))).map(readRow),
    selectRowsToClaim: async (db, scan) => (await seam.selectRowsToClaim(db, table, { ...scan, fields: claimFields })) as Array<ClaimCandidate>,
    selectValuesToClaim:
      selectToClaimStatement === undefined
        ? undefined
        : async (db, scan, runValuesOnly) => {
            // Lock the rows to claim and read them (every column, or a run's), by hand, in the claim's order.
            const statement = selectToClaimStatement(db, table, { ...scan, fields: runValuesOnly ? runFields : fields })
            const raws = await seam.queryRows(db, statement)
            return runValuesOnly ? raws.map(readRunValue) : raws.map((raw) => taskExecutionRowToValue(readRow(raw)))
          },
    amongClaimCandidates:
      claimCandidates === undefined
        ? undefined
        : (db, where, orderBy, limit) =>
            inSubqueryRunOnce(seam, table.executionId, claimCandidates(db, table, { where, orderBy, limit, fields: { executionId: table.executionId } })),
    claimRowsReturningOrder:
      claimCandidates === undefined || !extras.capabilities.claimOrderInOneStatement
        ? undefined
        : async (db, set, where, orderColumn, limit) => {
            const query = { where, orderBy: [asc(orderColumn)], limit, fields: { executionId: table.executionId, claimOrder: orderColumn } }
            // Named with a `$`, which no table name holds, so it never shadows the table (see pg.ts).
            const claimed = sql.identifier('claimed$')
            const claimedKey = sql.identifier(table.executionId.name)
            const candidates = claimCandidates(db, table, query)
            const byClaimedKeys = inSubqueryRunOnce(seam, table.executionId, sql`(select ${claimedKey} from ${claimed})`)
            // Lock the candidates once, find them by key, claim them and return every column (read by hand) with the order value from before the update.
            const statement = sql`with ${claimed} as materialized (${candidates})
              update ${table} set ${setAssignments(fields, set)} from ${claimed}
              where ${byClaimedKeys} and ${table.executionId} = ${claimed}.${claimedKey}
              returning ${sql.join(allColumns, sql`, `)}, ${claimed}.${sql.identifier(orderColumn.name)} as claim_order`
            return (await seam.queryRows(db, statement)).map((raw) => {
              const row = readRow(raw) as TaskExecutionsRow & { claimOrder: unknown }
              row.claimOrder = raw.claim_order == null ? null : orderColumn.mapFromDriverValue(raw.claim_order)
              return row
            })
          },
    claimReleasingChildren:
      claimReleasingToParents === undefined
        ? undefined
        : async (db, set, where, orderBy, limit, updatedAt) =>
            claimReleasingToParents(db, table, {
              where,
              orderBy,
              limit,
              key: table.executionId,
              parentKey: table.parentExecutionId,
              // Finalize children are not counted in their parent's active children (spec 2.3, our choice).
              releases: sql`${table.parentExecutionId} is not null and ${table.isFinalizeOfParent} is not true`,
              counter: table.activeChildrenCount,
              set,
              parentSet: { updatedAt },
            }),
    updateInsertingChildren:
      updateInsertingOwned === undefined
        ? undefined
        : async (db, set, where, children) => {
            const keys = await updateInsertingOwned(db, table, { set, where, key: table.executionId, insertColumns, rows: children })
            return new Set(keys.map(String))
          },
    insertRows: async (db, rows, andThen) => {
      const insert = seam.insertEveryColumn(table, insertColumns, rows)
      // With a notification: one statement, so it commits (and is delivered) with the rows.
      await seam.executeStatement(db, andThen ? sql`with inserted$ as (${insert}) ${andThen}` : insert)
    },
    selectChangeVersion: async (db, versionQuery) => {
      const [row] = await seam.queryRows(db, versionQuery(table, table.id))
      return row === undefined ? undefined : Object.values(row)[0]
    },
    updateRows:
      affectedRowsCount === undefined
        ? extras.capabilities.updateReturning
          ? // The same UPDATE; one id back per updated row, counted.
            async (db, set, where) => (await updateReturningIds(db, set, where)).length
          : async (db, set, where) => seam.updateRows(db, table, set, where)
        : // The count from the driver's result, read with the dialect's extractor.
          async (db, set, where) => affectedRowsCount(await asExecutor(db).execute(updateStatement(table, fields, set, where))),
    updateRowsUncounted: async (db, set, where) => seam.executeStatement(db, updateStatement(table, fields, set, where)),
    updateRowsReturning: extras.capabilities.updateReturning
      ? // Update and read back every column, read by hand.
        async (db, set, where) => (await seam.queryRows(db, updateStatement(table, fields, set, where, allColumns))).map(readRow)
      : undefined,
    updateRowsReturningRunValues: extras.capabilities.updateReturning
      ? // Update and read back only the run's columns, read by hand.
        async (db, set, where) => (await seam.queryRows(db, updateStatement(table, fields, set, where, runColumns))).map(readRunValue)
      : undefined,
    // Only the run's columns of the claimed rows, read back by hand.
    selectRunValues: async (db, where) => (await seam.queryRows(db, selectStatement(table, runColumns, where))).map(readRunValue),
    selectChildResults: async (db, where) => (await seam.queryRows(db, selectStatement(table, childResultColumns, where))).map(readChildResult),
    updateRowsReturningIdSet: extras.capabilities.updateReturning
      ? async (db, set, where) => new Set(await updateReturningIds(db, set, where))
      : undefined,
    selectCurrentTimeMs: async (db) => {
      // The clock is read alone, so the round trip is the only error in the sample.
      const [row] = await seam.queryRows(db, sql`select ${seam.currentTimeMs} as now_ms`)
      return Number(row?.now_ms)
    },
    deleteRows: async (db, where) => seam.deleteRows(db, table, where),
  }
}
