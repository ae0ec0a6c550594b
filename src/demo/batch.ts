/**
 * The demo's batch in the job-runner tables: found by its name (the key that makes a second run
 * resume it), created with its workflow, chunks and first history entry in one transaction (so a
 * crash leaves all or none of it), and deleted for `--fresh`. The parent execution that runs it is
 * recorded as a history event, so a later run finds it again.
 */
import { withTransaction, type BatchRow, type JobStore } from '../jobs/index.js'
import { DemoBatchError } from './errors.js'
import type { DemoOptions } from './options.js'

/** What the batch was created from; stored as its raw data, so a resumed run uses the same source. */
export type DemoBatchSource = { readonly seed: number; readonly rows: number; readonly chunkSize: number }

/** History event naming the parent execution that runs the batch. */
export const PARENT_ENQUEUED_EVENT = 'parent_enqueued'

/** The batch's source parameters, checked as read back from the database. */
export function batchSourceOf(batch: BatchRow): DemoBatchSource {
  const raw = batch.rawData as Partial<DemoBatchSource> | null
  if (raw === null || typeof raw !== 'object' || ![raw.seed, raw.rows, raw.chunkSize].every(Number.isSafeInteger)) {
    throw new DemoBatchError(batch, 'holds no demo source parameters')
  }
  return { seed: raw.seed!, rows: raw.rows!, chunkSize: raw.chunkSize! }
}

/** The newest live batch named `name`, if any. */
export async function findDemoBatch(store: JobStore, name: string): Promise<BatchRow | undefined> {
  return store.batches.findOne({ name }, { orderBy: { id: 'desc' } })
}

/** Creates the batch, its workflow, its chunks and a `batch_created` history entry, all or none. */
export async function createDemoBatch(store: JobStore, options: DemoOptions): Promise<BatchRow> {
  const source: DemoBatchSource = { seed: options.seed, rows: options.rows, chunkSize: options.chunkSize }
  return withTransaction(store, async (tx) => {
    const workflow = await tx.workflows.create({ name: options.batch, input: source })
    const batch = await tx.batches.create({ name: options.batch, rawData: source, totalRows: options.rows, workflowId: workflow.id })
    const chunks = []
    for (let startRow = 0, chunkIndex = 0; startRow < options.rows; startRow += options.chunkSize, chunkIndex++) {
      chunks.push({ batchId: batch.id, chunkIndex, startRow, endRow: Math.min(startRow + options.chunkSize, options.rows), status: 'pending' as const })
    }
    await tx.batchChunks.createMany(chunks)
    await tx.workflowHistory.log({ workflowId: workflow.id, event: 'batch_created', data: { batchId: batch.id, chunks: chunks.length, ...source } })
    return batch
  })
}

/** The workflow id of a demo batch (every demo batch has one). */
export function workflowIdOf(batch: BatchRow): number {
  if (batch.workflowId === null) throw new DemoBatchError(batch, 'has no workflow')
  return batch.workflowId
}

/** The parent execution last recorded for the batch, if any. */
export async function recordedParentExecutionId(store: JobStore, batch: BatchRow): Promise<string | undefined> {
  const [event] = await store.workflowHistory.findMany({
    where: { workflowId: workflowIdOf(batch), event: PARENT_ENQUEUED_EVENT },
    orderBy: { id: 'desc' },
    limit: 1,
  })
  const executionId = (event?.data as { executionId?: unknown } | undefined)?.executionId
  return typeof executionId === 'string' ? executionId : undefined
}

/** Records the parent execution that runs the batch. */
export async function recordParentExecution(store: JobStore, batch: BatchRow, executionId: string): Promise<void> {
  await store.workflowHistory.log({ workflowId: workflowIdOf(batch), event: PARENT_ENQUEUED_EVENT, data: { executionId } })
}

/** Deletes the batch for good: its chunks, processed and error rows, workflow and history go with it (foreign keys cascade). */
export async function deleteDemoBatch(store: JobStore, batch: BatchRow): Promise<void> {
  await withTransaction(store, async (tx) => {
    await tx.batches.hardDeleteById(batch.id)
    if (batch.workflowId !== null) await tx.workflows.hardDeleteById(batch.workflowId)
  })
}
