/**
 * One chunk of the demo's batch: its source rows are generated, validated and transformed, then
 * written in ONE transaction with the chunk's status, the batch counters and a history entry. The
 * transaction first checks that the chunk is not done yet, so a chunk run again after a crash, a
 * timeout or a lost reply changes nothing, and the end result never counts a row twice.
 */
import { withTransaction, type JobStore, type NewErrorRow, type NewProcessedRow } from '../jobs/index.js'
import { unlessDoneAlready } from './races.js'
import { sourceOrders } from './source.js'
import { transformOrder } from './transform.js'

/** What a chunk task receives: where its rows are and which source generates them. */
export type DemoChunkInput = {
  readonly batchId: number
  readonly workflowId: number
  readonly chunkId: number
  readonly chunkIndex: number
  readonly seed: number
  readonly startRow: number
  readonly endRow: number
}

/** What a chunk run did. */
export type DemoChunkOutcome = {
  readonly chunkIndex: number
  /** Valid rows written (0 when the chunk was already done). */
  readonly processed: number
  /** Invalid rows written as error rows (0 when the chunk was already done). */
  readonly errors: number
  /** The chunk was found done: this run changed nothing. */
  readonly alreadyDone: boolean
}

/** The chunk's processed and error rows, computed outside the transaction to keep it short. */
function chunkRows(input: DemoChunkInput): { processed: Array<NewProcessedRow>; errors: Array<NewErrorRow> } {
  const processed: Array<NewProcessedRow> = []
  const errors: Array<NewErrorRow> = []
  sourceOrders(input.seed, input.startRow, input.endRow).forEach((order, offset) => {
    const rowIndex = input.startRow + offset
    const result = transformOrder(order)
    const row = { batchId: input.batchId, chunkId: input.chunkId, rowIndex }
    if (result.ok) processed.push({ ...row, data: result.order })
    else errors.push({ ...row, data: order, error: result.error })
  })
  return { processed, errors }
}

/**
 * Processes the chunk once: a second call for the same chunk finds it `completed` and returns
 * `alreadyDone` without writing. A concurrent second run (a timed-out run still finishing) blocks
 * on the chunk's row, then fails its status transition and rolls back, writing nothing; it too
 * returns `alreadyDone` once the first run committed.
 */
export async function processDemoChunk(store: JobStore, input: DemoChunkInput): Promise<DemoChunkOutcome> {
  const rows = chunkRows(input)
  const alreadyDone = { chunkIndex: input.chunkIndex, processed: 0, errors: 0, alreadyDone: true }
  const isDone = async () => ((await store.batchChunks.findById(input.chunkId))?.status === 'completed' ? alreadyDone : undefined)
  return unlessDoneAlready(() => writeChunk(store, input, rows, alreadyDone), isDone)
}

async function writeChunk(store: JobStore, input: DemoChunkInput, rows: ReturnType<typeof chunkRows>, alreadyDone: DemoChunkOutcome): Promise<DemoChunkOutcome> {
  return withTransaction(store, async (tx) => {
    const chunk = await tx.batchChunks.findById(input.chunkId)
    if (chunk?.status === 'completed') return alreadyDone
    // Taking the chunk first locks its row, so a concurrent run of the same chunk waits here.
    if (chunk?.status !== 'processing') await tx.batchChunks.markChunkStatus(input.chunkId, 'processing')
    // Each insert adds the rows it stored to the batch's counter in this transaction.
    const processed = await tx.processedRows.insertMany(rows.processed)
    const errors = await tx.errorRows.insertMany(rows.errors)
    await tx.batchChunks.markChunkStatus(input.chunkId, 'completed')
    const outcome = { chunkIndex: input.chunkIndex, processed, errors, alreadyDone: false }
    await tx.workflowHistory.log({ workflowId: input.workflowId, event: 'chunk_completed', data: outcome })
    return outcome
  })
}
