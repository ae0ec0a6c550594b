/**
 * The rows of a batch: its raw input rows, processed rows and error rows. Bulk inserts are chunked
 * under the dialect's parameter limit and idempotent because (batch, row index) is unique; each
 * insert counts the rows it stored and adds that count to the batch's counter in the same
 * transaction, so a re-run changes neither rows nor counters. Raw rows are read a page at a time.
 */
import { and, asc, eq, gte, inArray, lt, lte, sql } from 'drizzle-orm'
import { chunkItems, type SqlSession, type SqlValues } from '../../sql/index.js'
import { BaseRepository, type RepositoryContext } from '../base-repository.js'
import { InvalidJobOptionError } from '../errors.js'
import type { InsertOf } from '../insert-types.js'
import type { JobTables, TableOf } from '../job-tables.js'
import type { BatchRawRowRow, ErrorRowRow, ProcessedRowRow } from '../rows.js'
import { JobRecordNotFoundError } from '../state-machines.js'
import { runTransaction } from '../transactions.js'

/** Row indexes spanning less than this many times their count are looked up as one range. */
const DENSE_RANGE_FACTOR = 4

/** A row of a batch, as every batch-row table stores it. */
export type BatchRowRecord = { id: number; batchId: number; rowIndex: number; createdAt: number }

/** The batch counter a batch-row table keeps up to date. */
export type BatchRowCounter = 'totalRows' | 'processedCount' | 'errorCount'

/** Shared by the raw-row, processed-row and error-row repositories. */
export abstract class BatchRowsRepository<TRow extends BatchRowRecord, TInsert extends object> extends BaseRepository<TableOf<TRow>, TRow, TInsert> {
  /** The batches table, whose counter the inserts keep. */
  protected readonly batches: JobTables['batches']
  /** The batch counter this table's rows are counted in. */
  protected readonly counter: BatchRowCounter

  /**
   * @param context - session and clock.
   * @param table - this repository's table.
   * @param batches - the batches table.
   * @param counter - the batch counter the rows are counted in.
   */
  constructor(context: RepositoryContext, table: TableOf<TRow>, batches: JobTables['batches'], counter: BatchRowCounter) {
    super(context, table)
    this.batches = batches
    this.counter = counter
  }

  /**
   * Inserts the rows that are not stored yet (by batch and row index; the first of two equal
   * indexes wins) and adds how many it inserted to each batch's counter, in one transaction (a
   * savepoint inside `withTransaction`, retried on conflicts outside one). Re-running the
   * same rows inserts nothing and counts nothing. Concurrent inserts into one batch take turns
   * on the batch row, which keeps the count exact.
   * @returns how many rows were inserted, as the database counted them.
   * @throws JobRecordNotFoundError when a batch does not exist.
   */
  async insertMany(rows: ReadonlyArray<TInsert>): Promise<number> {
    const now = this.now()
    const byBatch = new Map<unknown, Array<SqlValues>>()
    for (const row of this.checkedList(rows)) {
      const values: SqlValues = { createdAt: now, ...this.checkedValues(row) }
      const batchRows = byBatch.get(values.batchId)
      if (batchRows === undefined) byBatch.set(values.batchId, [values])
      else batchRows.push(values)
    }
    if (byBatch.size === 0) return 0
    // Batches in id order, so two inserts spanning the same batches lock them in the same order.
    const batchIds = [...byBatch.keys()].sort((a, b) => Number(a) - Number(b))
    return runTransaction(this.session, async (tx) => {
      let inserted = 0
      for (const batchId of batchIds) inserted += await this.insertIntoBatch(tx, batchId, byBatch.get(batchId)!, now)
      return inserted
    })
  }

  /** How many rows the batch has here. */
  async countByBatch(batchId: number): Promise<number> {
    return this.countWhere(eq(this.table.batchId, batchId))
  }

  private async insertIntoBatch(tx: SqlSession, batchId: unknown, rows: ReadonlyArray<SqlValues>, now: number): Promise<number> {
    const batchIdColumn = this.batches.id
    // The batch row's write lock first: the rows' foreign-key checks take a shared lock on it
    // (MariaDB) that the counter update would have to upgrade, which deadlocks two chunk workers.
    const locked = await tx.updateRows(this.batches, { updatedAt: now }, eq(batchIdColumn, batchId))
    if (locked === 0) throw new JobRecordNotFoundError('batch', Number(batchId))
    const pending = new Map<unknown, SqlValues>()
    let lowest = Number.POSITIVE_INFINITY
    let highest = Number.NEGATIVE_INFINITY
    for (const row of rows) {
      if (pending.has(row.rowIndex)) continue
      pending.set(row.rowIndex, row)
      lowest = Math.min(lowest, Number(row.rowIndex))
      highest = Math.max(highest, Number(row.rowIndex))
    }
    // Rows stored already (by an earlier run) are neither inserted nor counted again. Indexes close
    // together (a page of a chunk) are looked up as one range, two parameters instead of one each;
    // scattered ones by list, so the range never reads far more rows than were given.
    const byRange = highest - lowest < DENSE_RANGE_FACTOR * pending.size
    const lookups = byRange
      ? [and(gte(this.table.rowIndex, lowest), lte(this.table.rowIndex, highest))]
      : chunkItems([...pending.keys()], { maxItems: tx.maxBoundParameters - 1, maxBytes: Number.POSITIVE_INFINITY }, () => 0).map((indexes) => inArray(this.table.rowIndex, indexes))
    for (const lookup of lookups) {
      const stored = await tx.selectRows(this.table, { fields: { rowIndex: this.table.rowIndex }, where: and(eq(this.table.batchId, batchId), lookup) })
      for (const row of stored) pending.delete(Number(row.rowIndex))
    }
    if (pending.size === 0) return 0
    await tx.insertRows(this.table, [...pending.values()], 'ignore')
    // The counter grows by what this call inserted, under the lock taken above.
    const counterColumn = this.batches[this.counter]
    await tx.updateRows(this.batches, { [this.counter]: sql`${counterColumn} + ${pending.size}` }, eq(batchIdColumn, batchId))
    return pending.size
  }
}

/** What a raw row takes. */
export type NewBatchRawRow = InsertOf<BatchRawRowRow>

/** Where a page of raw rows starts and how many it holds. */
export type RawRowPage = {
  /** The first row index of the page (default 0). */
  readonly fromRow?: number
  /** Most rows in the page. */
  readonly limit: number
}

/**
 * A batch's raw input rows, one database row per input row (counted in the batch's `totalRows`):
 * load them with `insertMany` in as many calls as suit the input, and read them by range or page,
 * so no statement ever carries the whole batch.
 */
export class BatchRawRowRepository extends BatchRowsRepository<BatchRawRowRow, NewBatchRawRow> {
  /** @param context - session and clock. @param tables - the job tables. */
  constructor(context: RepositoryContext, tables: Pick<JobTables, 'batchRawRows' | 'batches'>) {
    super(context, tables.batchRawRows, tables.batches, 'totalRows')
  }

  /** The batch's raw rows with `startRow <= rowIndex < endRow` (a chunk's range), in row order. */
  async readRange(batchId: number, startRow: number, endRow: number): Promise<Array<BatchRawRowRow>> {
    for (const [name, value] of [['startRow', startRow], ['endRow', endRow]] as const) {
      if (!Number.isSafeInteger(value)) throw new InvalidJobOptionError(name, value, 'expected an integer row index.')
    }
    const where = and(eq(this.table.batchId, batchId), gte(this.table.rowIndex, startRow), lt(this.table.rowIndex, endRow))
    return this.selectRows(where, undefined, { orderBy: [asc(this.table.rowIndex)] })
  }

  /** Up to `limit` raw rows of the batch from row index `fromRow` on, in row order: page on from the last row index + 1. */
  async readPage(batchId: number, page: RawRowPage): Promise<Array<BatchRawRowRow>> {
    const { fromRow = 0, limit } = page
    if (!Number.isSafeInteger(fromRow)) throw new InvalidJobOptionError('fromRow', fromRow, 'expected an integer row index.')
    if (!(Number.isSafeInteger(limit) && limit > 0)) throw new InvalidJobOptionError('limit', limit, 'expected a positive integer: how many rows one page holds.')
    const where = and(eq(this.table.batchId, batchId), gte(this.table.rowIndex, fromRow))
    return this.selectRows(where, undefined, { orderBy: [asc(this.table.rowIndex)], limit })
  }
}

/** What a processed row takes. */
export type NewProcessedRow = InsertOf<ProcessedRowRow>

/** Rows of a batch processed successfully (counted in the batch's `processedCount`). */
export class ProcessedRowRepository extends BatchRowsRepository<ProcessedRowRow, NewProcessedRow> {
  /** @param context - session and clock. @param tables - the job tables. */
  constructor(context: RepositoryContext, tables: Pick<JobTables, 'processedRows' | 'batches'>) {
    super(context, tables.processedRows, tables.batches, 'processedCount')
  }
}

/** What an error row takes. */
export type NewErrorRow = InsertOf<ErrorRowRow>

/** Rows of a batch that failed, with their errors (counted in the batch's `errorCount`). */
export class ErrorRowRepository extends BatchRowsRepository<ErrorRowRow, NewErrorRow> {
  /** @param context - session and clock. @param tables - the job tables. */
  constructor(context: RepositoryContext, tables: Pick<JobTables, 'errorRows' | 'batches'>) {
    super(context, tables.errorRows, tables.batches, 'errorCount')
  }
}
