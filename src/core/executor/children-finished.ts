/**
 * Children-finished processing (spec 4.7, transition T15): once every child of a parent has been
 * released, combine the children into the parent's output, run its finalize function, spawn its
 * finalize task, or, for a sequence, spawn the next step. Every write is guarded by
 * `status = waiting_for_children` and the claim's lease token, and ends the claim (flag
 * `processed`, or `idle` with the next sequence step). Storage calls are retried while the lease
 * lasts (`lease-writes.ts`).
 */
import {
  DurableExecutionError,
  DurableExecutionNotFoundError,
  convertErrorToDurableExecutionError,
} from '../errors.js'
import type { TaskExecutionStorageInternalUpdate } from '../internal-update.js'
import type { FinishedChildTaskExecution } from '../read-model.js'
import { deserializeValue } from '../serializer.js'
import { isFinishedTaskExecutionStatus } from '../status.js'
import type { TaskExecutionChildResult, TaskExecutionStorageValue, TaskExecutionSummary } from '../storage.js'
import { SEQUENTIAL_STEP_PLACEHOLDER_EXECUTION_ID } from './composite-tasks.js'
import type { TaskDefinition } from './registry.js'
import { finalizeFunctionError } from './run-result.js'
import type { UpdateMatch } from '../batching/storage-layer.js'
import { callHoldingLease, LeaseLostError, writeHoldingLease } from './lease-writes.js'
import {
  buildChildRow,
  errorValue,
  fencedFilters,
  serializeForStorage,
  summaryOf,
  updateExecutionById,
  updateExecutionByIdAndInsertChildren,
  type ExecutorRuntime,
} from './runtime.js'

const WAITING_FOR_CHILDREN_FILTER = { status: 'waiting_for_children' } as const

/**
 * Processes one claimed parent. Deterministic failures (a non-retryable error such as an oversized
 * finalize input) fail the parent at once (our choice: upstream leaves it to loop through lease
 * expiry forever); storage failures are retried while the lease lasts, then left to lease expiry.
 */
export async function processChildrenFinished(
  runtime: ExecutorRuntime,
  parent: TaskExecutionStorageValue,
): Promise<void> {
  try {
    await processParent(runtime, parent)
  } catch (thrown) {
    if (thrown instanceof LeaseLostError) {
      runtime.log.debug(`Stopped processing the finished children of [executionId=${parent.executionId}]: ${thrown.message}`)
      return
    }
    const error = convertErrorToDurableExecutionError(thrown)
    if (error.isRetryable) throw error
    await finishParent(runtime, parent, { status: 'failed', error: errorValue(error) }).catch((lost: unknown) => {
      if (!(lost instanceof LeaseLostError)) throw lost
    })
  }
}

/** A storage call of this parent's processing, retried while its lease lasts. */
function underLease<T>(runtime: ExecutorRuntime, parent: TaskExecutionStorageValue, what: string, call: () => Promise<T>): Promise<T> {
  const lease = { endsAt: parent.onChildrenFinishedProcessingExpiresAt, isFenced: parent.leaseToken !== undefined }
  return callHoldingLease(runtime, lease, `${what} of [executionId=${parent.executionId}]`, call)
}

/** A fenced write of this parent's processing, retried while its lease lasts. */
function fencedWrite(runtime: ExecutorRuntime, parent: TaskExecutionStorageValue, what: string, write: () => Promise<UpdateMatch>): Promise<void> {
  const lease = { endsAt: parent.onChildrenFinishedProcessingExpiresAt, isFenced: parent.leaseToken !== undefined }
  return writeHoldingLease(runtime, lease, `${what} of [executionId=${parent.executionId}]`, write)
}

async function processParent(
  runtime: ExecutorRuntime,
  parent: TaskExecutionStorageValue,
): Promise<void> {
  const definition = runtime.registry.get(parent.taskId)
  if (!definition) {
    await finishParent(runtime, parent, {
      status: 'failed',
      error: errorValue(new DurableExecutionNotFoundError(`Task not found [taskId=${parent.taskId}]`)),
    })
    return
  }
  if (parent.areChildrenSequential) {
    await processSequenceStep(runtime, parent)
    return
  }
  if (definition.finalize?.kind === 'task' && definition.finalize.task.taskType === 'sleepingTask') {
    await finishParent(runtime, parent, {
      status: 'failed',
      error: errorValue(
        DurableExecutionError.nonRetryable(
          `Finalize task cannot be a sleeping task [taskId=${definition.finalize.task.id}]`,
        ),
      ),
    })
    return
  }

  const summaries = parent.children ?? []
  const childRows = await underLease(runtime, parent, 'reading the children', () =>
    runtime.storage.getChildResultsByParentExecutionId({ parentExecutionId: parent.executionId }),
  )
  const rowsById = new Map<string, TaskExecutionChildResult>()
  for (const child of childRows) rowsById.set(child.executionId, child)
  let notFound = 0
  for (const summary of summaries) if (!rowsById.has(summary.executionId)) notFound++
  if (notFound > 0) {
    await finishParent(runtime, parent, {
      status: 'failed',
      error: errorValue(
        new DurableExecutionNotFoundError(
          `Some children task executions not found [parentTaskId=${parent.taskId}] [notFound=${notFound}] [total=${summaries.length}]`,
        ),
      ),
    })
    return
  }

  const children = await Promise.all(
    summaries.map((summary) =>
      toFinishedChild(runtime, rowsById.get(summary.executionId) as TaskExecutionChildResult),
    ),
  )
  const output = parent.runOutput
    ? await deserializeValue(runtime.serializer, parent.runOutput)
    : undefined
  const finalizeInput = { output, children }
  await finalizeParent(runtime, parent, definition, finalizeInput)
}

async function finalizeParent(
  runtime: ExecutorRuntime,
  parent: TaskExecutionStorageValue,
  definition: TaskDefinition,
  finalizeInput: { output: unknown; children: Array<FinishedChildTaskExecution> },
): Promise<void> {
  const finalize = definition.finalize
  const what = `the output of task execution [taskId=${parent.taskId}] [executionId=${parent.executionId}]`
  if (!finalize) {
    const output = await serializeForStorage(runtime, finalizeInput, 'output', what)
    await finishParent(runtime, parent, { status: 'completed', output })
    return
  }

  if (finalize.kind === 'function') {
    const waitingForFinalizeStartedAt = runtime.clock.now()
    let finalOutput: unknown
    try {
      finalOutput = await finalize.run(finalizeInput)
    } catch (error) {
      await finishParent(runtime, parent, {
        status: 'finalize_failed',
        error: errorValue(finalizeFunctionError(error)),
        waitingForFinalizeStartedAt,
      })
      return
    }
    const output = await serializeForStorage(runtime, finalOutput, 'output', what)
    await finishParent(runtime, parent, {
      status: 'completed',
      output,
      waitingForFinalizeStartedAt,
    })
    return
  }

  const now = runtime.clock.now()
  const finalizeRow = await buildChildRow(
    runtime,
    finalize.task,
    { parent, indexInParentChildren: 0, isOnlyChildOfParent: false, isFinalizeOfParent: true },
    { value: finalizeInput },
    undefined,
    now,
  )
  await fencedWrite(runtime, parent, 'spawning the finalize task', () =>
    updateExecutionByIdAndInsertChildren(
      runtime,
      parent.executionId,
      fencedFilters(parent, WAITING_FOR_CHILDREN_FILTER),
      {
        status: 'waiting_for_finalize',
        finalize: summaryOf(finalizeRow),
        onChildrenFinishedProcessingStatus: 'processed',
      },
      [finalizeRow],
      // The row under this lease: once written, kept for its handles until the finalize result lands.
      parent,
    ),
  )
  runtime.wake.pickup(finalizeRow.startAt)
}

/** Spawns the next step of a sequence, or finishes it after its last (or a failed) step. */
async function processSequenceStep(
  runtime: ExecutorRuntime,
  parent: TaskExecutionStorageValue,
): Promise<void> {
  const steps = parent.children ?? []
  const firstPlaceholder = steps.findIndex(
    (step) => step.executionId === SEQUENTIAL_STEP_PLACEHOLDER_EXECUTION_ID,
  )
  const currentIndex = firstPlaceholder === -1 ? steps.length - 1 : firstPlaceholder - 1
  const current = steps[currentIndex]
  if (!current) {
    await finishParent(runtime, parent, {
      status: 'failed',
      error: errorValue(
        DurableExecutionError.nonRetryable(
          `Invalid state of sequential task: no step was spawned [parentTaskId=${parent.taskId}] [parentExecutionId=${parent.executionId}]`,
        ),
      ),
    })
    return
  }

  const currentRow = await underLease(runtime, parent, 'reading the current step', () =>
    runtime.storage.getById({ executionId: current.executionId }),
  )
  if (!currentRow) {
    await finishParent(runtime, parent, {
      status: 'failed',
      error: errorValue(
        new DurableExecutionNotFoundError(
          `Some children task executions not found [parentTaskId=${parent.taskId}] [notFound=1] [total=1]`,
        ),
      ),
    })
    return
  }
  if (currentRow.status !== 'completed') {
    const message = currentRow.error?.message ?? 'Unknown error'
    await finishParent(runtime, parent, {
      status: 'finalize_failed',
      error: errorValue(
        DurableExecutionError.nonRetryable(
          `Sequential task failed [parentTaskId=${parent.taskId}] [index=${currentIndex}]: ${message}`,
        ),
      ),
    })
    return
  }

  const stepOutput = currentRow.output ?? runtime.serializedUndefined
  const next = steps[currentIndex + 1]
  if (!next) {
    await finishParent(runtime, parent, { status: 'completed', output: stepOutput })
    return
  }

  const nextDefinition = runtime.registry.get(next.taskId)
  if (!nextDefinition) {
    throw new DurableExecutionNotFoundError(`Child task not found [taskId=${next.taskId}]`)
  }
  const nextRow = await buildChildRow(
    runtime,
    nextDefinition,
    {
      parent,
      indexInParentChildren: currentIndex + 1,
      isOnlyChildOfParent: false,
      isFinalizeOfParent: false,
    },
    // The previous output string is reused verbatim: no re-serialization, no size check.
    { serializedInput: stepOutput },
    undefined,
    runtime.clock.now(),
  )
  const children: Array<TaskExecutionSummary> = steps.slice()
  children[currentIndex + 1] = summaryOf(nextRow)
  await fencedWrite(runtime, parent, 'spawning the next step', () =>
    updateExecutionByIdAndInsertChildren(
      runtime,
      parent.executionId,
      fencedFilters(parent, WAITING_FOR_CHILDREN_FILTER),
      { children, activeChildrenCount: 1, onChildrenFinishedProcessingStatus: 'idle' },
      [nextRow],
    ),
  )
  if (nextRow.isSleepingTask && nextRow.expiresAt !== undefined) runtime.wake.expiry(nextRow.expiresAt)
  else runtime.wake.pickup(nextRow.startAt)
}

/** Writes a finished status onto the parent (flag `processed`) and wakes the close-ready sweep. */
async function finishParent(
  runtime: ExecutorRuntime,
  parent: TaskExecutionStorageValue,
  update: TaskExecutionStorageInternalUpdate,
): Promise<void> {
  await fencedWrite(runtime, parent, 'finishing the parent', () =>
    updateExecutionById(
      runtime,
      parent.executionId,
      fencedFilters(parent, WAITING_FOR_CHILDREN_FILTER),
      { ...update, onChildrenFinishedProcessingStatus: 'processed' },
      undefined,
      parent,
    ),
  )
  runtime.wake.closeReady()
}

/** A child as finalize sees it; an errored child without a stored error gets a stand-in. */
async function toFinishedChild(
  runtime: ExecutorRuntime,
  row: TaskExecutionChildResult,
): Promise<FinishedChildTaskExecution> {
  if (row.status === 'completed') {
    return {
      taskId: row.taskId,
      executionId: row.executionId,
      status: 'completed',
      output: row.output ? await deserializeValue(runtime.serializer, row.output) : undefined,
    }
  }
  const status = isFinishedTaskExecutionStatus(row.status) ? row.status : 'failed'
  return {
    taskId: row.taskId,
    executionId: row.executionId,
    status,
    error:
      row.error ??
      errorValue(
        DurableExecutionError.nonRetryable(
          `Unknown child task execution error [childTaskId=${row.taskId}]`,
        ),
      ),
  }
}
