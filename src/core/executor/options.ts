/**
 * Validation and defaults of executor options and task options (spec 4.1, 4.3), and the retry
 * backoff. Every message names the option, the rule it broke and the value given.
 */
import { DurableExecutionError } from '../errors.js'
import { createSuperjsonSerializer, type Serializer } from '../serializer.js'
import type { TaskRetryOptions } from '../storage.js'
import type {
  DurableExecutorLogger,
  DurableExecutorLogLevel,
  DurableExecutorOptions,
} from './types.js'

/** Executor options after validation, with every default filled in. */
export type ResolvedDurableExecutorOptions = {
  serializer: Serializer
  logger: DurableExecutorLogger | undefined
  logLevel: DurableExecutorLogLevel
  expireLeewayMs: number
  maxExpiries: number
  backgroundProcessIntraBatchSleepMs: number
  maxConcurrentTaskExecutions: number
  maxTaskExecutionsPerBatch: number
  processOnChildrenFinishedTaskExecutionsBatchSize: number
  markFinishedTaskExecutionsAsCloseStatusReadyBatchSize: number
  closeFinishedTaskExecutionsBatchSize: number
  cancelNeedsPromiseCancellationTaskExecutionsBatchSize: number
  retryExpiredTaskExecutionsBatchSize: number
  maxChildrenPerTaskExecution: number
  maxSerializedInputDataSize: number
  maxSerializedOutputDataSize: number
  enableStorageBatching: boolean
  enableStorageStats: boolean
  storageBackgroundBatchingProcessIntraBatchSleepMs: number
  storageMaxRetryAttempts: number
}

type NumberRule = { integer: boolean; min: number; max: number }

const ANY_NON_NEGATIVE: NumberRule = { integer: false, min: 0, max: Number.MAX_SAFE_INTEGER }
const BATCH_SIZE: NumberRule = { integer: true, min: 1, max: 200 }
const DATA_SIZE: NumberRule = { integer: true, min: 1024, max: 10_485_760 }

const NUMBER_OPTIONS = {
  expireLeewayMs: { rule: ANY_NON_NEGATIVE, default: 300_000 },
  maxExpiries: { rule: { integer: true, min: 1, max: 1000 }, default: 5 },
  backgroundProcessIntraBatchSleepMs: {
    rule: { integer: false, min: 1, max: Number.MAX_SAFE_INTEGER },
    default: 500,
  },
  maxConcurrentTaskExecutions: {
    rule: { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER },
    default: 5000,
  },
  maxTaskExecutionsPerBatch: {
    rule: { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER },
    default: 100,
  },
  processOnChildrenFinishedTaskExecutionsBatchSize: { rule: BATCH_SIZE, default: 100 },
  markFinishedTaskExecutionsAsCloseStatusReadyBatchSize: { rule: BATCH_SIZE, default: 100 },
  closeFinishedTaskExecutionsBatchSize: { rule: BATCH_SIZE, default: 100 },
  cancelNeedsPromiseCancellationTaskExecutionsBatchSize: { rule: BATCH_SIZE, default: 100 },
  retryExpiredTaskExecutionsBatchSize: { rule: BATCH_SIZE, default: 100 },
  maxChildrenPerTaskExecution: { rule: { integer: true, min: 1, max: 1000 }, default: 1000 },
  maxSerializedInputDataSize: { rule: DATA_SIZE, default: 1_048_576 },
  maxSerializedOutputDataSize: { rule: DATA_SIZE, default: 1_048_576 },
  storageBackgroundBatchingProcessIntraBatchSleepMs: {
    rule: { integer: false, min: 1, max: 100 },
    default: 10,
  },
  storageMaxRetryAttempts: { rule: { integer: true, min: 0, max: 10 }, default: 1 },
} as const satisfies Record<string, { rule: NumberRule; default: number }>

type NumberOptionName = keyof typeof NUMBER_OPTIONS

const LOG_LEVELS: ReadonlyArray<DurableExecutorLogLevel> = ['debug', 'info', 'warn', 'error']

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'function'
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value)
    } catch {
      return 'object'
    }
  }
  return String(value)
}

function describeRule(rule: NumberRule): string {
  const kind = rule.integer ? 'an integer' : 'a number'
  if (rule.max === Number.MAX_SAFE_INTEGER) return `${kind} >= ${rule.min}`
  return `${kind} between ${rule.min} and ${rule.max}`
}

/** The problem with `value` under `rule`, or `undefined` when it passes. */
function checkNumber(name: string, value: unknown, rule: NumberRule): string | undefined {
  const passes =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    value >= rule.min &&
    value <= rule.max
  return passes ? undefined : `${name} must be ${describeRule(rule)} [${name}=${describeValue(value)}]`
}

/**
 * Validates executor options and fills in defaults. `null` counts as absent. Throws a
 * non-retryable `Invalid options: …` error listing every broken option.
 */
export function resolveDurableExecutorOptions(
  options: DurableExecutorOptions | null | undefined,
): ResolvedDurableExecutorOptions {
  const given = (options ?? {}) as Record<string, unknown>
  const problems: Array<string> = []

  const serializer = given.serializer ?? undefined
  if (
    serializer !== undefined &&
    (typeof serializer !== 'object' ||
      typeof (serializer as Serializer).serialize !== 'function' ||
      typeof (serializer as Serializer).deserialize !== 'function')
  ) {
    problems.push(
      'serializer must be an object with serialize(value) and deserialize(string) functions',
    )
  }

  const logger = given.logger ?? undefined
  if (
    logger !== undefined &&
    (typeof logger !== 'object' ||
      typeof (logger as DurableExecutorLogger).debug !== 'function' ||
      typeof (logger as DurableExecutorLogger).info !== 'function' ||
      typeof (logger as DurableExecutorLogger).error !== 'function' ||
      !['function', 'undefined'].includes(typeof (logger as DurableExecutorLogger).warn))
  ) {
    problems.push('logger must be an object with debug, info and error functions (and optionally warn)')
  }

  const logLevel = given.logLevel ?? 'info'
  if (!LOG_LEVELS.includes(logLevel as DurableExecutorLogLevel)) {
    problems.push(
      `logLevel must be one of 'debug', 'info', 'warn', 'error' [logLevel=${describeValue(logLevel)}]`,
    )
  }

  const numbers = {} as Record<NumberOptionName, number>
  for (const name of Object.keys(NUMBER_OPTIONS) as Array<NumberOptionName>) {
    const { rule, default: defaultValue } = NUMBER_OPTIONS[name]
    const value = given[name] ?? defaultValue
    const problem = checkNumber(name, value, rule)
    if (problem) problems.push(problem)
    numbers[name] = value as number
  }

  const booleans = { enableStorageBatching: false, enableStorageStats: false }
  for (const name of Object.keys(booleans) as Array<keyof typeof booleans>) {
    const value = given[name] ?? false
    if (typeof value !== 'boolean') {
      problems.push(`${name} must be a boolean [${name}=${describeValue(value)}]`)
    }
    booleans[name] = value === true
  }

  if (problems.length > 0) {
    throw DurableExecutionError.nonRetryable(`Invalid options: ${problems.join('; ')}`)
  }
  return {
    serializer: (serializer as Serializer | undefined) ?? createSuperjsonSerializer(),
    logger: logger as DurableExecutorLogger | undefined,
    logLevel: logLevel as DurableExecutorLogLevel,
    ...numbers,
    // Leases end on whole milliseconds (integer columns): a fraction lengthens to the next one.
    expireLeewayMs: Math.ceil(numbers.expireLeewayMs),
    ...booleans,
  }
}

const RETRY_OPTION_RULES = {
  maxAttempts: { integer: true, min: 0, max: 1000 },
  baseDelayMs: { integer: true, min: 0, max: 3_600_000 },
  delayMultiplier: { integer: false, min: 0.1, max: 10 },
  maxDelayMs: { integer: true, min: 0, max: 86_400_000 },
} as const satisfies Record<keyof TaskRetryOptions, NumberRule>

/**
 * Validates retry options (spec 4.3); absent options mean `{ maxAttempts: 0 }`. Returns a copy
 * holding only the given fields. Throws `Invalid retry options for task <id>: …`.
 */
export function validateRetryOptions(
  taskId: string,
  retryOptions: TaskRetryOptions | null | undefined,
): TaskRetryOptions {
  if (retryOptions == null) return { maxAttempts: 0 }
  const fail = (problem: string): never => {
    throw DurableExecutionError.nonRetryable(
      `Invalid retry options for task ${taskId}: ${problem}`,
    )
  }
  if (typeof retryOptions !== 'object') {
    fail(`retryOptions must be an object [retryOptions=${describeValue(retryOptions)}]`)
  }
  const given = retryOptions as Record<string, unknown>
  if (given.maxAttempts == null) fail('maxAttempts is required')
  const result: TaskRetryOptions = { maxAttempts: 0 }
  for (const name of Object.keys(RETRY_OPTION_RULES) as Array<keyof TaskRetryOptions>) {
    const value = given[name]
    if (value == null) continue
    const problem = checkNumber(name, value, RETRY_OPTION_RULES[name])
    if (problem) fail(problem)
    result[name] = value as number
  }
  if (
    result.baseDelayMs !== undefined &&
    result.maxDelayMs !== undefined &&
    result.maxDelayMs < result.baseDelayMs
  ) {
    fail(
      `maxDelayMs must be greater than or equal to baseDelayMs [maxDelayMs=${result.maxDelayMs}] [baseDelayMs=${result.baseDelayMs}]`,
    )
  }
  return result
}

/** Validates a delay before the first run (number >= 0, absent = 0). */
export function validateSleepMsBeforeRun(
  taskId: string,
  sleepMsBeforeRun: number | null | undefined,
): number {
  if (sleepMsBeforeRun == null) return 0
  const problem = checkNumber('sleepMsBeforeRun', sleepMsBeforeRun, ANY_NON_NEGATIVE)
  if (problem) {
    throw DurableExecutionError.nonRetryable(
      `Invalid sleep ms before run for task ${taskId}: ${problem}`,
    )
  }
  // Timestamps are whole milliseconds on every dialect: a fraction delays to the next one.
  return Math.ceil(sleepMsBeforeRun)
}

/** Validates a run timeout (integer >= 1, required). */
export function validateTimeoutMs(taskId: string, timeoutMs: number | null | undefined): number {
  const problem = checkNumber('timeoutMs', timeoutMs, {
    integer: true,
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
  })
  if (problem) {
    throw DurableExecutionError.nonRetryable(`Invalid timeout value for task ${taskId}: ${problem}`)
  }
  return timeoutMs as number
}

/**
 * Delay before the retry scheduled after attempt `attempt` (0 for the first retry, spec 4.3):
 * `baseDelayMs`, times `delayMultiplier^attempt` for later retries, capped by `maxDelayMs`,
 * rounded to whole milliseconds (timestamps are integer columns on every dialect).
 */
export function computeRetryDelayMs(retryOptions: TaskRetryOptions, attempt: number): number {
  let delay = retryOptions.baseDelayMs ?? 0
  if (attempt > 0 && delay > 0) delay *= (retryOptions.delayMultiplier ?? 1) ** attempt
  if (retryOptions.maxDelayMs !== undefined && delay > retryOptions.maxDelayMs) {
    delay = retryOptions.maxDelayMs
  }
  return Math.round(delay)
}
