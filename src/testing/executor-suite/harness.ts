/**
 * Shared plumbing of the executor suites: the per-test storage and executors (created before each
 * test, shut down and cleaned up after it), and small helpers the behaviour files use (gates,
 * polling, raw row reads, a fault-injecting storage proxy, a hand-made Standard Schema).
 */
import { afterEach, beforeEach, expect } from 'vitest'

import { DurableExecutor } from '../../core/executor/index.js'
import type {
  DurableExecutorOptions,
  StandardSchemaV1,
  StandardSchemaV1Issue,
  TaskRunContext,
} from '../../core/executor/types.js'
import type { TaskExecutionsStorage, TaskExecutionStorageValue } from '../../core/storage.js'

/** Options of the executor suite builders. */
export type DurableExecutorSuiteOptions = {
  /**
   * Creates a fresh, empty storage for one test. SQL storages must be in test mode, since some
   * tests delete rows.
   */
  createStorage: () => TaskExecutionsStorage | Promise<TaskExecutionsStorage>
  /** Releases what `createStorage` made (drop a table, close a pool); runs after each test. */
  cleanup?: (storage: TaskExecutionsStorage) => void | Promise<void>
  /** Runs every executor with `enableStorageBatching`. Default `false`. */
  enableStorageBatching?: boolean
}

/** What a behaviour test gets: the test's storage and a factory of executors on it. */
export type ExecutorSuiteContext = {
  /** The storage of the test that is running. */
  readonly storage: TaskExecutionsStorage
  /**
   * Makes an executor (not started) with the suite's defaults (`logLevel 'error'`, 50 ms loops,
   * the suite's batching setting) overridden by `options`; it is shut down after the test.
   */
  makeExecutor: (
    options?: DurableExecutorOptions,
    storage?: TaskExecutionsStorage,
  ) => Promise<DurableExecutor>
  /** Like `makeExecutor`, then `start()`. */
  startExecutor: (
    options?: DurableExecutorOptions,
    storage?: TaskExecutionsStorage,
  ) => Promise<DurableExecutor>
}

/** The polling options every test waits with. */
export const FAST_POLLING = { pollingIntervalMs: 20 } as const

/** The executor options every suite test starts from. */
export function suiteExecutorOptions(enableStorageBatching: boolean): DurableExecutorOptions {
  return { logLevel: 'error', backgroundProcessIntraBatchSleepMs: 50, enableStorageBatching }
}

/**
 * Registers `beforeEach`/`afterEach` hooks in the calling `describe` and returns the context the
 * tests of that `describe` use.
 */
export function useExecutorSuiteContext(options: DurableExecutorSuiteOptions): ExecutorSuiteContext {
  let currentStorage: TaskExecutionsStorage | undefined
  let executors: Array<DurableExecutor> = []

  beforeEach(async () => {
    executors = []
    currentStorage = await options.createStorage()
  })

  afterEach(async () => {
    const toShutDown = executors
    executors = []
    const storage = currentStorage
    currentStorage = undefined
    try {
      await Promise.all(toShutDown.map((executor) => executor.shutdown()))
    } finally {
      if (storage && options.cleanup) await options.cleanup(storage)
    }
  })

  const context: ExecutorSuiteContext = {
    get storage(): TaskExecutionsStorage {
      if (!currentStorage) throw new Error('The suite storage is only available inside a test')
      return currentStorage
    },
    makeExecutor: async (overrides = {}, storage) => {
      const executor = await DurableExecutor.make(storage ?? context.storage, {
        ...suiteExecutorOptions(options.enableStorageBatching ?? false),
        ...overrides,
      })
      executors.push(executor)
      return executor
    },
    startExecutor: async (overrides, storage) => {
      const executor = await context.makeExecutor(overrides, storage)
      await executor.start()
      return executor
    },
  }
  return context
}

/** A promise with its resolve function exposed: a gate a test opens when it chooses. */
export type Gate<T = void> = {
  promise: Promise<T>
  open: (value: T) => void
  isOpen: () => boolean
}

/** Creates a closed {@link Gate}. */
export function createGate<T = void>(): Gate<T> {
  let open!: (value: T) => void
  let opened = false
  const promise = new Promise<T>((resolve) => {
    open = (value: T) => {
      opened = true
      resolve(value)
    }
  })
  return { promise, open, isOpen: () => opened }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Resolves when `signal` aborts (at once if it already has). */
export function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
}

/**
 * Blocks a run until the gate opens or the run is aborted (timeout, cancellation) or the executor
 * shuts down, so a test that forgets a gate never stalls the executor's shutdown. Resolves with
 * what ended the wait.
 */
export async function blockRun(
  ctx: TaskRunContext,
  gate: Pick<Gate<unknown>, 'promise'>,
): Promise<'released' | 'aborted' | 'shutdown'> {
  return Promise.race([
    gate.promise.then(() => 'released' as const),
    whenAborted(ctx.abortSignal).then(() => 'aborted' as const),
    whenAborted(ctx.shutdownSignal).then(() => 'shutdown' as const),
  ])
}

/**
 * Polls `condition` every 10 ms until it holds; throws with `description` after `timeoutMs`
 * (generous on purpose: a slow machine only makes the test slower, never red).
 */
export async function waitUntil(
  description: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await condition()) return
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${description}`)
    await sleep(10)
  }
}

/** Reads the stored row of an execution, whatever its status; throws when it does not exist. */
export async function readStoredExecution(
  storage: TaskExecutionsStorage,
  executionId: string,
): Promise<TaskExecutionStorageValue> {
  const [row] = await storage.getManyById([{ executionId, filters: {} }])
  if (!row) throw new Error(`No stored row for execution ${executionId}`)
  return row
}

/** A short random suffix, so ids chosen by tests never collide across tests sharing a database. */
export function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 10)
}

/** The storage methods a fault proxy can make fail. */
export type StorageMethodName = {
  [K in keyof TaskExecutionsStorage]-?: NonNullable<TaskExecutionsStorage[K]> extends (...args: never) => unknown
    ? K
    : never
}[keyof TaskExecutionsStorage]

/** A storage wrapper that counts calls per method and fails the ones a test asks it to. */
export type FaultyStorage = {
  /** The wrapped storage to give the executor. */
  storage: TaskExecutionsStorage
  /**
   * Makes the next `times` calls of `method` throw `Error(<method> failed)` (retryable, as any
   * error that is not the library's), or the error `makeError` returns.
   */
  failNextCalls: (method: StorageMethodName, times: number, makeError?: () => Error) => void
  /** While `failing` is true, every call of `method` throws `Error(<method> failed)`. */
  setFailing: (method: StorageMethodName, failing: boolean) => void
  /** How many times `method` was called (failed calls included). */
  callCount: (method: StorageMethodName) => number
  /**
   * Holds the next call of `method` (as a stalled connection would) until `release()`: `held`
   * resolves once a call is being held; the call then reaches the storage on release.
   */
  holdNextCall: (method: StorageMethodName) => { held: Promise<void>; release: () => void }
}

/** Wraps `inner` in a {@link FaultyStorage}; methods that are not told to fail pass through. */
export function createFaultyStorage(inner: TaskExecutionsStorage): FaultyStorage {
  const remainingFailures = new Map<string, number>()
  const failureMakers = new Map<string, () => Error>()
  const alwaysFailing = new Set<string>()
  const calls = new Map<string, number>()
  const holds = new Map<string, { onHeld: () => void; released: Promise<void> }>()
  const storage = new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver)
      if (typeof value !== 'function' || typeof property !== 'string') return value
      return (...args: Array<unknown>) => {
        calls.set(property, (calls.get(property) ?? 0) + 1)
        const remaining = remainingFailures.get(property) ?? 0
        if (alwaysFailing.has(property) || remaining > 0) {
          if (remaining > 0) remainingFailures.set(property, remaining - 1)
          return Promise.reject(failureMakers.get(property)?.() ?? new Error(`${property} failed`))
        }
        const hold = holds.get(property)
        if (hold) {
          holds.delete(property)
          hold.onHeld()
          return hold.released.then(() => (value as (...a: Array<unknown>) => unknown).apply(target, args))
        }
        return (value as (...a: Array<unknown>) => unknown).apply(target, args)
      }
    },
  })
  return {
    storage,
    failNextCalls: (method, times, makeError) => {
      remainingFailures.set(method, times)
      if (makeError) failureMakers.set(method, makeError)
      else failureMakers.delete(method)
    },
    setFailing: (method, failing) => {
      if (failing) alwaysFailing.add(method)
      else alwaysFailing.delete(method)
    },
    callCount: (method) => calls.get(method) ?? 0,
    holdNextCall: (method) => {
      const held = createGate()
      const released = createGate()
      holds.set(method, { onHeld: () => held.open(), released: released.promise })
      return { held: held.promise, release: () => released.open() }
    },
  }
}

/**
 * A hand-made Standard Schema (https://standardschema.dev) over a check function: `check` returns
 * the output value or a list of issues. `async` makes `validate` answer with a promise.
 */
export function createTestSchema<TOutput>(
  check: (value: unknown) => { value: TOutput } | { issues: Array<StandardSchemaV1Issue> },
  options: { async?: boolean } = {},
): StandardSchemaV1<unknown, TOutput> {
  return {
    '~standard': {
      version: 1 as const,
      vendor: 'durable-execution-drizzle-tests',
      validate: (value: unknown) => {
        const result = check(value)
        return options.async ? Promise.resolve(result) : result
      },
    },
  }
}

/**
 * Asserts the status of an execution (showing its error when it differs) and narrows its type to
 * that status's variant.
 */
export function expectStatus<TExecution extends { status: string }, TStatus extends TExecution['status']>(
  execution: TExecution,
  status: TStatus,
): Extract<TExecution, { status: TStatus }> {
  const error = (execution as { error?: unknown }).error
  expect(execution.status, `status of execution (error: ${JSON.stringify(error)})`).toBe(status)
  return execution as Extract<TExecution, { status: TStatus }>
}

/**
 * Waits (with fast polling) until the handle's execution finishes, then asserts and narrows its
 * status like {@link expectStatus}.
 */
export async function expectFinishedStatus<TExecution extends { status: string }, TStatus extends TExecution['status']>(
  handle: { waitAndGetFinishedExecution(options: typeof FAST_POLLING): Promise<TExecution> },
  status: TStatus,
): Promise<Extract<TExecution, { status: TStatus }>> {
  return expectStatus(await handle.waitAndGetFinishedExecution(FAST_POLLING), status)
}
