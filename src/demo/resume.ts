/**
 * Resuming by name: the batch a run works on (the one of the demo's batch name, deleted first with
 * `--fresh`, or a new one) and the parent execution that completes it (the one recorded for the
 * batch while it may still finish, else a new one, recorded at once).
 */
import type { DurableExecutor, TaskExecutionHandle } from '../core/index.js'
import type { BatchRow, JobStore } from '../jobs/index.js'
import { batchSourceOf, createDemoBatch, deleteDemoBatch, findDemoBatch, recordParentExecution, recordedParentExecutionId, workflowIdOf } from './batch.js'
import type { DemoOptions } from './options.js'
import type { DemoOutput } from './progress.js'
import type { DemoSummary, DemoTasks } from './tasks.js'

/** The batch to run: the one of this name (deleted first with `fresh`), or a new one. */
export async function prepareBatch(store: JobStore, options: DemoOptions, cancelParent: (batch: BatchRow) => Promise<void>, io: { readonly out: DemoOutput }): Promise<{ batch: BatchRow; resumed: boolean }> {
  let batch = await findDemoBatch(store, options.batch)
  if (batch !== undefined && options.fresh) {
    await cancelParent(batch)
    await deleteDemoBatch(store, batch)
    io.out.write(`Deleted batch "${batch.name}" (#${batch.id}) to start afresh.\n`)
    batch = undefined
  }
  if (batch === undefined) {
    const created = await createDemoBatch(store, options)
    io.out.write(`Created batch "${created.name}" (#${created.id}): ${options.rows} rows in chunks of ${options.chunkSize}, seed ${options.seed}.\n`)
    return { batch: created, resumed: false }
  }
  const source = batchSourceOf(batch)
  io.out.write(
    `Resuming batch "${batch.name}" (#${batch.id}, ${batch.status}): ${source.rows} rows in chunks of ${source.chunkSize}, seed ${source.seed}` +
      ` (as stored; pass --fresh to start over${source.rows !== options.rows || source.chunkSize !== options.chunkSize || source.seed !== options.seed ? ' with the options given' : ''}).\n`,
  )
  return { batch, resumed: true }
}

/** The recorded parent execution if it may still complete the batch, else a new one (recorded). */
export async function parentHandleFor(executor: DurableExecutor, tasks: DemoTasks, store: JobStore, batch: BatchRow): Promise<TaskExecutionHandle<DemoSummary>> {
  const recorded = await recordedParentExecutionId(store, batch)
  if (recorded !== undefined) {
    const handle = await executor.getTaskExecutionHandle(tasks.batchTask, recorded)
    const { status } = await handle.getExecution()
    if (status !== 'failed' && status !== 'timed_out' && status !== 'finalize_failed' && status !== 'cancelled') return handle
  }
  const handle = await executor.enqueueTask(tasks.batchTask, { batchId: batch.id, workflowId: workflowIdOf(batch) })
  await recordParentExecution(store, batch, handle.executionId)
  return handle
}
