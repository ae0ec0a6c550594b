/**
 * Writing the result of a finished run (spec 4.6, transitions T3-T9): the output of a plain task,
 * a parent's finalize step or children, or the error (a retry, a final status by error class, or
 * the T9 fallback when even that write fails).
 */
import {
  convertErrorToDurableExecutionError,
  DurableExecutionCancelledError,
  DurableExecutionError,
  DurableExecutionTimedOutError,
} from '../errors.js'
import type { TaskExecutionStorageInternalUpdate } from '../internal-update.js'
import type { TaskExecutionStorageValue, TaskExecutionSummary } from '../storage.js'
import { SEQUENTIAL_STEP_PLACEHOLDER_EXECUTION_ID } from './composite-tasks.js'
import { computeRetryDelayMs } from './options.js'
import { normalizeParentRunOutput, type TaskDefinition } from './registry.js'
import {
  buildChildRow,
  errorValue,
  getChildTaskDefinition,
  serializeForStorage,
  summaryOf,
  updateExecutionById,
  updateExecutionByIdAndInsertChildren,
  wakeAfterFinished,
  type ExecutorRuntime,
} from './runtime.js'
import type { ChildTask } from './types.js'

const RUNNING_FILTER = { status: 'running' } as const

/** Writes the outcome of a successful run: T3, T4, T5 or T6. Throws for a run error (size, children). */
export async function writeRunResult(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
  definition: TaskDefinition,
  result: unknown,
): Promise<void> {
  if (definition.taskType === 'task') {
    const output = await serializeForStorage(runtime, result, 'output', describeOutput(row))
    await updateExecutionById(
      runtime,
      row.executionId,
      RUNNING_FILTER,
      { status: 'completed', output, children: [] },
      row,
    )
    wakeAfterFinished(runtime, row)
    return
  }

  const { output, children } = normalizeParentRunOutput(result, definition.id)
  const maxChildren = runtime.options.maxChildrenPerTaskExecution
  if (children.length > maxChildren) {
    throw DurableExecutionError.nonRetryable(
      `Parent task tried to spawn more than max children tasks [taskId=${definition.id}] [attempted=${children.length}] [max=${maxChildren}]`,
    )
  }
  if (children.length === 0) {
    await writeParentWithoutChildren(runtime, row, definition, output)
  } else {
    await writeParentWithChildren(runtime, row, definition, output, children)
  }
}

/** T3, T4 or T5: a parent that spawned no children goes straight to its finalize step. */
async function writeParentWithoutChildren(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
  definition: TaskDefinition,
  output: unknown,
): Promise<void> {
  const finalize = definition.finalize
  const finalizeInput = { output, children: [] }
  if (!finalize) {
    const serialized = await serializeForStorage(runtime, finalizeInput, 'output', describeOutput(row))
    await updateExecutionById(
      runtime,
      row.executionId,
      RUNNING_FILTER,
      { status: 'completed', output: serialized, children: [] },
      row,
    )
    wakeAfterFinished(runtime, row)
    return
  }

  if (finalize.kind === 'function') {
    const waitingForFinalizeStartedAt = Date.now()
    let update: TaskExecutionStorageInternalUpdate
    let finalOutput: unknown
    let finalizeError: unknown
    let hasFailed = false
    try {
      finalOutput = await finalize.run(finalizeInput)
    } catch (error) {
      hasFailed = true
      finalizeError = error
    }
    if (hasFailed) {
      update = {
        status: 'finalize_failed',
        error: errorValue(finalizeFunctionError(finalizeError)),
        waitingForFinalizeStartedAt,
        children: [],
      }
    } else {
      // Outside the finalize failure path on purpose: an oversized output fails the run (spec 4.6).
      update = {
        status: 'completed',
        output: await serializeForStorage(runtime, finalOutput, 'output', describeOutput(row)),
        waitingForFinalizeStartedAt,
        children: [],
      }
    }
    await updateExecutionById(runtime, row.executionId, RUNNING_FILTER, update, row)
    wakeAfterFinished(runtime, row)
    return
  }

  const now = Date.now()
  const finalizeRow = await buildChildRow(
    runtime,
    finalize.task,
    { parent: row, indexInParentChildren: 0, isOnlyChildOfParent: false, isFinalizeOfParent: true },
    { value: finalizeInput },
    undefined,
    now,
  )
  await updateExecutionByIdAndInsertChildren(
    runtime,
    row.executionId,
    RUNNING_FILTER,
    {
      status: 'waiting_for_finalize',
      waitingForChildrenStartedAt: now,
      children: [],
      finalize: summaryOf(finalizeRow),
    },
    [finalizeRow],
    row,
  )
  runtime.wake.pickup(finalizeRow.startAt)
}

function describeOutput(row: TaskExecutionStorageValue): string {
  return `the output of task execution [taskId=${row.taskId}] [executionId=${row.executionId}]`
}

/** The error a failing finalize function is recorded with: non-retryable, message only. */
export function finalizeFunctionError(error: unknown): DurableExecutionError {
  return DurableExecutionError.nonRetryable(convertErrorToDurableExecutionError(error).message)
}

/** T6: insert the children (only the first step of a sequence) and wait for them. */
async function writeParentWithChildren(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
  definition: TaskDefinition,
  output: unknown,
  children: ReadonlyArray<ChildTask>,
): Promise<void> {
  const now = Date.now()
  const isOnlyChild = children.length === 1
  let rows: Array<TaskExecutionStorageValue>
  let summaries: Array<TaskExecutionSummary>
  if (definition.areChildrenSequential) {
    const first = children[0] as ChildTask
    for (const child of children) getChildTaskDefinition(runtime, child.task.id)
    const firstRow = await buildChildRow(
      runtime,
      getChildTaskDefinition(runtime, first.task.id),
      { parent: row, indexInParentChildren: 0, isOnlyChildOfParent: isOnlyChild, isFinalizeOfParent: false },
      { value: first.input },
      first.options,
      now,
    )
    rows = [firstRow]
    summaries = children.map((child, index) =>
      index === 0
        ? summaryOf(firstRow)
        : { taskId: child.task.id, executionId: SEQUENTIAL_STEP_PLACEHOLDER_EXECUTION_ID },
    )
  } else {
    rows = await Promise.all(
      children.map((child, index) =>
        buildChildRow(
          runtime,
          getChildTaskDefinition(runtime, child.task.id),
          {
            parent: row,
            indexInParentChildren: index,
            isOnlyChildOfParent: isOnlyChild,
            isFinalizeOfParent: false,
          },
          { value: child.input },
          child.options,
          now,
        ),
      ),
    )
    summaries = rows.map(summaryOf)
  }
  const runOutput = await serializeForStorage(
    runtime,
    output,
    'output',
    `the runParent output of task execution [taskId=${row.taskId}] [executionId=${row.executionId}]`,
  )
  await updateExecutionByIdAndInsertChildren(
    runtime,
    row.executionId,
    RUNNING_FILTER,
    {
      status: 'waiting_for_children',
      runOutput,
      children: summaries,
      activeChildrenCount: rows.length,
    },
    rows,
    row,
  )
  let earliestStartAt = Number.POSITIVE_INFINITY
  for (const child of rows) {
    if (child.isSleepingTask && child.expiresAt !== undefined) runtime.wake.expiry(child.expiresAt)
    else if (child.startAt < earliestStartAt) earliestStartAt = child.startAt
  }
  if (earliestStartAt !== Number.POSITIVE_INFINITY) runtime.wake.pickup(earliestStartAt)
}

/** T7 (retry) or T8 (final status by error class); T9 if even that write fails. */
export async function writeRunError(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
  thrown: unknown,
): Promise<void> {
  const error = convertErrorToDurableExecutionError(thrown)
  const now = Date.now()
  let update: TaskExecutionStorageInternalUpdate
  let retryAt: number | undefined
  if (error.isRetryable && row.retryAttempts < row.retryOptions.maxAttempts) {
    retryAt = now + computeRetryDelayMs(row.retryOptions, row.retryAttempts)
    update = {
      status: 'ready',
      error: errorValue(error),
      retryAttempts: row.retryAttempts + 1,
      startAt: retryAt,
    }
  } else {
    const status =
      error instanceof DurableExecutionTimedOutError
        ? 'timed_out'
        : error instanceof DurableExecutionCancelledError
          ? 'cancelled'
          : 'failed'
    update = { status, error: errorValue(error) }
  }
  try {
    await updateExecutionById(runtime, row.executionId, RUNNING_FILTER, update, row)
  } catch (writeError) {
    runtime.log.error(
      `Error in writing the run error of task execution [executionId=${row.executionId}]`,
      writeError,
    )
    await failRunningExecution(runtime, row, writeError)
    return
  }
  if (retryAt === undefined) wakeAfterFinished(runtime, row)
  else runtime.wake.pickup(retryAt)
}

/**
 * T9: fails a running row outside the normal error path, with the prefix
 * `Error in running task execution [executionId=…]` and base-class errors made non-retryable.
 */
export async function failRunningExecution(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
  thrown: unknown,
): Promise<void> {
  const error = convertErrorToDurableExecutionError(thrown, {
    prefix: `Error in running task execution [executionId=${row.executionId}]`,
    isRetryable: false,
  })
  try {
    await updateExecutionById(
      runtime,
      row.executionId,
      RUNNING_FILTER,
      { status: 'failed', error: errorValue(error) },
      row,
    )
    wakeAfterFinished(runtime, row)
  } catch (writeError) {
    runtime.log.error(
      `Error in failing task execution [executionId=${row.executionId}]`,
      writeError,
    )
  }
}
