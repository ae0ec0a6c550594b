/**
 * Enqueueing (spec 4.5, transition T1) and waking up sleeping executions (T11): validation of the
 * task, the overrides and the input, one row insert (through the caller's transaction if given),
 * and the wake-up write with its re-read.
 */
import {
  convertErrorToDurableExecutionError,
  DurableExecutionError,
  DurableExecutionNotFoundError,
} from '../errors.js'
import { generateTaskExecutionId } from '../ids.js'
import { normalizeTaskExecutionStorageInternalUpdate } from '../internal-update.js'
import {
  convertTaskExecutionStorageValueToTaskExecution,
  type FinishedTaskExecution,
} from '../read-model.js'
import { createTaskExecutionStorageValue } from '../storage-value.js'
import type { TaskExecutionStorageValue } from '../storage.js'
import { validateRetryOptions, validateSleepMsBeforeRun, validateTimeoutMs } from './options.js'
import type { TaskDefinition } from './registry.js'
import {
  errorValue,
  serializeForStorage,
  validateSleepingTaskUniqueId,
  type ExecutorRuntime,
} from './runtime.js'
import type { AnyTask, EnqueueTaskOptions, WakeupSleepingTaskExecutionOptions } from './types.js'

/** The registered definition of `task`, or `Task not found [taskId=…]`. */
export function getRegisteredTaskDefinition(runtime: ExecutorRuntime, task: AnyTask): TaskDefinition {
  const definition = task == null ? undefined : runtime.registry.get(task.id)
  if (!definition) {
    throw new DurableExecutionNotFoundError(`Task not found [taskId=${task?.id}]`)
  }
  return definition
}

/** Validates, serializes and inserts one new execution; returns its row. */
export async function enqueueTaskExecution(
  runtime: ExecutorRuntime,
  task: AnyTask,
  input: unknown,
  options: EnqueueTaskOptions | undefined,
): Promise<TaskExecutionStorageValue> {
  const definition = getRegisteredTaskDefinition(runtime, task)
  const id = definition.id
  const retryOptions =
    options?.retryOptions == null
      ? definition.retryOptions
      : validateRetryOptions(id, options.retryOptions)
  const sleepMsBeforeRun =
    options?.sleepMsBeforeRun == null
      ? definition.sleepMsBeforeRun
      : validateSleepMsBeforeRun(id, options.sleepMsBeforeRun)
  const timeoutMs =
    options?.timeoutMs == null ? definition.timeoutMs : validateTimeoutMs(id, options.timeoutMs)

  let serializedInput: string
  let sleepingTaskUniqueId: string | undefined
  if (definition.taskType === 'sleepingTask') {
    sleepingTaskUniqueId = validateSleepingTaskUniqueId(id, input)
    serializedInput = runtime.serializedUndefined
  } else {
    serializedInput = await serializeForStorage(runtime, input, 'input', `the input of task ${id}`)
  }

  const row = createTaskExecutionStorageValue({
    now: runtime.clock.now(),
    taskId: id,
    executionId: generateTaskExecutionId(),
    retryOptions,
    sleepMsBeforeRun,
    timeoutMs,
    areChildrenSequential: definition.areChildrenSequential,
    input: serializedInput,
    ...(sleepingTaskUniqueId === undefined ? {} : { sleepingTaskUniqueId }),
  })
  const transaction = options?.taskExecutionsStorageTransaction
  if (transaction) await transaction.insertMany([row])
  else await runtime.storage.insertMany([row])

  if (row.isSleepingTask) {
    if (row.expiresAt !== undefined) runtime.wake.expiry(row.expiresAt)
  } else {
    runtime.wake.pickup(row.startAt)
  }
  return row
}

/**
 * Finishes a sleeping execution by its unique id (T11) and returns it finished. An execution
 * that is already finished (e.g. timed out, cancelled, or woken up concurrently) is returned as is.
 */
export async function wakeupSleepingTaskExecution(
  runtime: ExecutorRuntime,
  task: AnyTask,
  sleepingTaskUniqueId: string,
  options: WakeupSleepingTaskExecutionOptions,
): Promise<FinishedTaskExecution> {
  const definition = getRegisteredTaskDefinition(runtime, task)
  if (definition.taskType !== 'sleepingTask') {
    throw DurableExecutionError.nonRetryable(`Task is not a sleeping task [taskId=${definition.id}]`)
  }
  const wakeupStatus = (options as { status?: unknown } | null | undefined)?.status
  if (wakeupStatus !== 'completed' && wakeupStatus !== 'failed') {
    throw DurableExecutionError.nonRetryable(
      `Invalid wakeup options for sleeping task [taskId=${definition.id}]: status must be 'completed' or 'failed' [status=${String(wakeupStatus)}]`,
    )
  }
  const row = await getSleepingRow(runtime, definition.id, sleepingTaskUniqueId)
  if (!row.isFinished) {
    if (row.status !== 'running') {
      throw DurableExecutionError.nonRetryable(
        `Invalid status for sleeping task execution [executionId=${row.executionId}] [status=${row.status}]`,
      )
    }
    const update =
      options.status === 'completed'
        ? {
            status: 'completed' as const,
            output: await serializeForStorage(
              runtime,
              options.output,
              'output',
              `the wakeup output of sleeping task execution [taskId=${definition.id}] [executionId=${row.executionId}]`,
            ),
          }
        : {
            status: 'failed' as const,
            error: errorValue(
              DurableExecutionError.nonRetryable(
                options.error === undefined
                  ? 'Unknown error'
                  : convertErrorToDurableExecutionError(options.error).message,
              ),
            ),
          }
    await runtime.storage.updateById({
      executionId: row.executionId,
      filters: { isSleepingTask: true, isFinished: false },
      update: normalizeTaskExecutionStorageInternalUpdate(update, runtime.clock.now()),
    })
    runtime.wake.closeReady()
  }

  const finished = row.isFinished
    ? row
    : await getSleepingRow(runtime, definition.id, sleepingTaskUniqueId)
  if (!finished.isFinished) {
    throw DurableExecutionError.nonRetryable(
      `Sleeping task execution is still not finished after the wakeup [executionId=${finished.executionId}] [status=${finished.status}]`,
    )
  }
  return (await convertTaskExecutionStorageValueToTaskExecution(
    finished,
    runtime.serializer,
  )) as FinishedTaskExecution
}

async function getSleepingRow(
  runtime: ExecutorRuntime,
  taskId: string,
  sleepingTaskUniqueId: string,
): Promise<TaskExecutionStorageValue> {
  const row = await runtime.storage.getBySleepingTaskUniqueId({ sleepingTaskUniqueId })
  if (!row) {
    throw new DurableExecutionNotFoundError(
      `Sleeping task execution not found [sleepingTaskUniqueId=${sleepingTaskUniqueId}]`,
    )
  }
  if (row.taskId !== taskId) {
    throw new DurableExecutionNotFoundError(
      `Sleeping task execution belongs to another task [providedTaskId=${taskId}] [taskId=${row.taskId}] [sleepingTaskUniqueId=${sleepingTaskUniqueId}]`,
    )
  }
  return row
}
