/**
 * The demo's two tasks on a `DurableExecutor`: a parent task per batch whose children are the
 * batch's unfinished chunks, and the chunk task. The parent's finalize step marks the batch done
 * (once: a second finalize finds it done) and hands the summary to the caller to print.
 */
import { DurableExecutionError, childTask, type DurableExecutor, type TaskRunContext } from '../core/index.js'
import { withTransaction, type JobStore } from '../jobs/index.js'
import { batchSourceOf } from './batch.js'
import { processDemoChunk, type DemoChunkOutcome } from './chunk.js'
import { unlessDoneAlready } from './races.js'

/** A chunk run longer than this is timed out and retried (harmlessly: chunks are idempotent); it also bounds how long a killed process's chunks wait to be resumed. */
export const DEMO_CHUNK_TIMEOUT_MS = 5_000

/** The parent's input: the batch and its workflow. */
export type DemoBatchInput = { readonly batchId: number; readonly workflowId: number }

/** What the finalize step reports. */
export type DemoSummary = {
  readonly batchId: number
  readonly name: string
  readonly totalRows: number
  readonly processed: number
  readonly errors: number
  readonly chunks: number
}

/** What the tasks tell the process running them. */
export type DemoTaskHooks = {
  /** A chunk committed (or was found done). */
  readonly onChunkDone: (outcome: DemoChunkOutcome) => void
  /** The finalize step marked the batch done. */
  readonly onFinalized: (summary: DemoSummary) => void
  /** Awaited before a chunk's work (a test seam). */
  readonly beforeChunk?: (ctx: TaskRunContext) => Promise<void>
}

const RETRIES = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 2_000 }

/** Moves the batch and its workflow to running (nothing when a re-run finds them running) and lists its unfinished chunks. */
async function startBatch(store: JobStore, input: DemoBatchInput) {
  return withTransaction(store, async (tx) => {
    const batch = await tx.batches.findById(input.batchId)
    if (batch === undefined) throw new DurableExecutionError(`Batch ${input.batchId} was deleted while the demo ran: run the demo again.`)
    if (batch.status === 'pending' || batch.status === 'failed') await tx.batches.setStatus(batch.id, 'processing')
    const workflow = await tx.workflows.findById(input.workflowId)
    if (workflow?.status === 'pending' || workflow?.status === 'failed') await tx.workflows.markRunning(input.workflowId)
    const chunks = await tx.batchChunks.findChunksForBatch(batch.id)
    return { seed: batchSourceOf(batch).seed, chunks: chunks.filter((chunk) => chunk.status !== 'completed') }
  })
}

/** The batch's counts as the finalize step reports them. */
async function batchSummary(store: JobStore, batchId: number): Promise<DemoSummary & { readonly status: string }> {
  const batch = await store.batches.findById(batchId)
  if (batch === undefined) throw new DurableExecutionError(`Batch ${batchId} was deleted while the demo ran: run the demo again.`)
  const chunks = await store.batchChunks.countChunksByStatus(batch.id)
  const summary = { batchId: batch.id, name: batch.name, totalRows: batch.totalRows, processed: batch.processedCount, errors: batch.errorCount, chunks: chunks.completed }
  return { ...summary, status: batch.status }
}

/** Marks the batch and its workflow completed unless done already (also by a racing finalize); returns the batch's counts. */
async function completeBatch(store: JobStore, input: DemoBatchInput): Promise<DemoSummary> {
  const complete = () =>
    withTransaction(store, async (tx) => {
      const { status, ...summary } = await batchSummary(tx, input.batchId)
      if (status !== 'completed') {
        await tx.batches.setStatus(input.batchId, 'completed')
        await tx.workflows.markCompleted(input.workflowId, summary)
        await tx.workflowHistory.log({ workflowId: input.workflowId, event: 'batch_completed', data: summary })
      }
      return summary
    })
  return unlessDoneAlready(complete, async () => {
    const { status, ...summary } = await batchSummary(store, input.batchId)
    return status === 'completed' ? summary : undefined
  })
}

/** Marks the batch and its workflow failed (a later run retries the chunks not done). */
async function failBatch(store: JobStore, input: DemoBatchInput, failedChunks: number): Promise<void> {
  await withTransaction(store, async (tx) => {
    const batch = await tx.batches.findById(input.batchId)
    if (batch?.status === 'processing') await tx.batches.setStatus(batch.id, 'failed')
    const workflow = await tx.workflows.findById(input.workflowId)
    if (workflow?.status === 'running') await tx.workflows.markFailed(input.workflowId, { failedChunks })
    await tx.workflowHistory.log({ workflowId: input.workflowId, event: 'batch_failed', data: { failedChunks } })
  })
}

/** Registers the demo's tasks on `executor`; their statements run on `store`. */
export function registerDemoTasks(executor: DurableExecutor, store: JobStore, hooks: DemoTaskHooks) {
  const chunkTask = executor.task({
    id: 'durable_etl_demo_chunk',
    timeoutMs: DEMO_CHUNK_TIMEOUT_MS,
    retryOptions: RETRIES,
    run: async (ctx, input: Parameters<typeof processDemoChunk>[1]) => {
      await hooks.beforeChunk?.(ctx)
      const outcome = await processDemoChunk(store, input)
      hooks.onChunkDone(outcome)
      return outcome
    },
  })
  const batchTask = executor.parentTask({
    id: 'durable_etl_demo_batch',
    // runParent only reads the chunks: a short timeout lets a killed process's parent resume soon.
    timeoutMs: 10_000,
    retryOptions: RETRIES,
    runParent: async (_ctx, input: DemoBatchInput) => {
      const { seed, chunks } = await startBatch(store, input)
      const children = chunks.map((chunk) =>
        childTask(chunkTask, { ...input, chunkId: chunk.id, chunkIndex: chunk.chunkIndex, seed, startRow: chunk.startRow, endRow: chunk.endRow }),
      )
      return { output: input, children }
    },
    finalize: async ({ output, children }) => {
      const failed = children.filter((child) => child.status !== 'completed')
      if (failed.length > 0) {
        await failBatch(store, output, failed.length)
        throw new DurableExecutionError(
          `${failed.length} of ${children.length} chunks failed (first: ${failed[0]!.error.message}); run the same command again to retry them.`,
        )
      }
      const summary = await completeBatch(store, output)
      hooks.onFinalized(summary)
      return summary
    },
  })
  return { chunkTask, batchTask }
}

/** The demo's tasks as registered. */
export type DemoTasks = ReturnType<typeof registerDemoTasks>
