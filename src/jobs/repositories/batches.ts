/** ETL batches and their chunks (fan-out to workflow steps, fan-in by status counts). */
import { eq, sql } from 'drizzle-orm'
import type { RepositoryContext } from '../base-repository.js'
import { InvalidJobValueError } from '../errors.js'
import type { InsertOf } from '../insert-types.js'
import type { JobTables } from '../job-tables.js'
import type { BatchChunkRow, BatchRow } from '../rows.js'
import { StatefulRepository } from '../stateful-repository.js'
import { BATCH_CHUNK_TRANSITIONS, BATCH_TRANSITIONS, type BatchChunkStatus, type BatchStatus } from '../state-machines.js'

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

  /** Adds `by` (default 1) to the processed count atomically; returns the new count. */
  async incrementProcessedCount(id: number, by = 1): Promise<number> {
    return (await this.increment(id, 'processedCount', by)).processedCount
  }

  /** Adds `by` (default 1) to the error count atomically; returns the new count. */
  async incrementErrorCount(id: number, by = 1): Promise<number> {
    return (await this.increment(id, 'errorCount', by)).errorCount
  }

  private async increment(id: number, key: 'processedCount' | 'errorCount', by: number): Promise<BatchRow> {
    if (!Number.isSafeInteger(by)) throw new InvalidJobValueError('by', by, 'expected an integer (a number, not a string).')
    // Incremented in SQL so that concurrent workers' increments all count.
    await this.updateWhere(eq(this.table.id, id), { [key]: sql`${this.table[key]} + ${by}` })
    return this.getExisting(id)
  }

  /** The batch's raw input data. */
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
