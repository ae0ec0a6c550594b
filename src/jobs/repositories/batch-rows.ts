/**
 * Processed rows and error rows of a batch: bulk inserts chunked under the dialect's parameter
 * limit, idempotent because (batch, row index) is unique and duplicates are skipped.
 */
import { eq } from 'drizzle-orm'
import { BaseRepository, type RepositoryContext } from '../base-repository.js'
import type { InsertOf } from '../insert-types.js'
import type { JobTables, TableOf } from '../job-tables.js'
import type { ErrorRowRow, ProcessedRowRow } from '../rows.js'

/** A row of a batch, as both tables store it. */
export type BatchRowRecord = { id: number; batchId: number; rowIndex: number; createdAt: number }

/** Shared by the processed-row and error-row repositories. */
export abstract class BatchRowsRepository<TRow extends BatchRowRecord, TInsert extends object> extends BaseRepository<TableOf<TRow>, TRow, TInsert> {
  /**
   * Inserts the rows; a row whose (batch, row index) already exists is skipped, so re-running
   * after a crash inserts nothing twice.
   * @returns how many statements ran (the rows are chunked under the dialect's parameter limit).
   */
  async insertMany(rows: ReadonlyArray<TInsert>): Promise<number> {
    const now = this.now()
    return this.session.insertRows(this.table, this.checkedList(rows).map((row) => ({ createdAt: now, ...this.checkedValues(row) })), 'ignore')
  }

  /** How many rows the batch has here. */
  async countByBatch(batchId: number): Promise<number> {
    return this.countWhere(eq(this.table.batchId, batchId))
  }
}

/** What a processed row takes. */
export type NewProcessedRow = InsertOf<ProcessedRowRow>

/** Rows of a batch processed successfully. */
export class ProcessedRowRepository extends BatchRowsRepository<ProcessedRowRow, NewProcessedRow> {
  /** @param context - session and clock. @param tables - the job tables. */
  constructor(context: RepositoryContext, tables: Pick<JobTables, 'processedRows'>) {
    super(context, tables.processedRows)
  }
}

/** What an error row takes. */
export type NewErrorRow = InsertOf<ErrorRowRow>

/** Rows of a batch that failed, with their errors. */
export class ErrorRowRepository extends BatchRowsRepository<ErrorRowRow, NewErrorRow> {
  /** @param context - session and clock. @param tables - the job tables. */
  constructor(context: RepositoryContext, tables: Pick<JobTables, 'errorRows'>) {
    super(context, tables.errorRows)
  }
}
