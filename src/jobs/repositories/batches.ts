/** ETL batches and their chunks (fan-out to workflow steps, fan-in by status counts). */
import { eq, sql } from 'drizzle-orm'
import type { RepositoryContext } from '../base-repository.js'
import { InvalidJobValueError } from '../errors.js'
import type { InsertOf } from '../insert-types.js'
import type { JobTables } from '../job-tables.js'
import type { BatchChunkRow, BatchRow } from '../rows.js'
import { StatefulRepository } from '../stateful-repository.js'
import { BATCH_CHUNK_TRANSITIONS, BATCH_TRANSITIONS, JobRecordNotFoundError, type BatchChunkStatus, type BatchStatus } from '../state-machines.js'

/** What creating a batch takes; it starts `pending` with zero counts. */
export type NewBatch = InsertOf<BatchRow, 'status' | 'totalRows' | 'processedCount' | 'errorCount'>

/** ETL batches (soft-deleted with `deletedAt`). */
export class BatchRepository extends StatefulRepository<BatchRow, NewBatch, BatchStatus> {
  protected readonly entity = 'batch'
  protected readonly machine = BATCH_TRANSITIONS

  /** @param context - session and clock. @param tables - the job tables. */
  constructor(context: RepositoryContext, tables: Pick<JobTables, 'batches'>) {
    super(context, tables.batches)
  }

  /** Creates a `pending` batch. */
  override async create(values: NewBatch): Promise<BatchRow> {
    return super.create({ status: 'pending', totalRows: 0, processedCount: 0, errorCount: 0, ...values })
  }

  /** Moves the batch to `status` along its state machine. */
  async setStatus(id: number, status: BatchStatus): Promise<BatchRow> {
    return this.transition(id, status)
  }

  /**
   * Adds `by` (default 1) to the processed count atomically; returns the count this addition
   * made, never one including a later caller's. Rows stored with `processedRows.insertMany` are
   * counted already: use this only for rows not stored there.
   */
  async incrementProcessedCount(id: number, by = 1): Promise<number> {
    return this.increment(id, 'processedCount', by)
  }

  /**
   * Adds `by` (default 1) to the error count atomically; returns the count this addition made.
   * Rows stored with `errorRows.insertMany` are counted already.
   */
  async incrementErrorCount(id: number, by = 1): Promise<number> {
    return this.increment(id, 'errorCount', by)
  }

  private async increment(id: number, key: 'processedCount' | 'errorCount', by: number): Promise<number> {
    if (!Number.isSafeInteger(by)) throw new InvalidJobValueError('by', by, 'expected an integer (a number, not a string).')
    // Added in SQL so concurrent increments all count; the counter comes back from this very
    // UPDATE (RETURNING, or a read under its lock), and nothing else of the row is read.
    const [row] = await this.session.updateRowsReturning(
      this.table,
      { [key]: sql`${this.table[key]} + ${by}`, updatedAt: this.now() },
      this.live(eq(this.table.id, id)),
      { count: this.table[key] },
    )
    if (row === undefined) throw new JobRecordNotFoundError(this.entity, id)
    return Number(row.count)
  }

  /**
   * The batch's raw input data as one JSON value in the `rawData` column, read whole.
   * @deprecated Kept for batches whose input is in `rawData`; a large input read whole costs its
   * full size in memory and, on MariaDB, must fit `max_allowed_packet`. Store input rows with
   * `batchRawRows.insertMany` and read them with `batchRawRows.readRange` / `readPage` instead.
   */
  async getRawData(id: number): Promise<unknown> {
    return (await this.getExisting(id)).rawData
  }
}

/** What creating a chunk takes; it starts `pending`. */
export type NewBatchChunk = InsertOf<BatchChunkRow, 'status'>

/** Batch chunks. */
export class BatchChunkRepository extends StatefulRepository<BatchChunkRow, NewBatchChunk, BatchChunkStatus> {
  protected readonly entity = 'batch chunk'
  protected readonly machine = BATCH_CHUNK_TRANSITIONS

  /** @param context - session and clock. @param tables - the job tables. */
  constructor(context: RepositoryContext, tables: Pick<JobTables, 'batchChunks'>) {
    super(context, tables.batchChunks)
  }

  /** Creates a `pending` chunk. */
  async createChunk(values: NewBatchChunk): Promise<BatchChunkRow> {
    return this.create({ status: 'pending', ...values })
  }

  /** Moves the chunk to `status` along its state machine. */
  async markChunkStatus(id: number, status: BatchChunkStatus): Promise<BatchChunkRow> {
    return this.transition(id, status)
  }

  /** The batch's chunks in chunk order. */
  async findChunksForBatch(batchId: number): Promise<Array<BatchChunkRow>> {
    return this.findMany({ where: { batchId }, orderBy: { chunkIndex: 'asc' } })
  }

  /** How many of the batch's chunks are in each status (every status present). */
  async countChunksByStatus(batchId: number): Promise<Record<BatchChunkStatus, number>> {
    return this.countByStatus(eq(this.table.batchId, batchId))
  }

  /** The chunk a workflow step processes, if any. */
  async findChunkByStep(stepId: number): Promise<BatchChunkRow | undefined> {
    return this.findOne({ stepId })
  }
}
