/**
 * A worker process of the recovery workload: an executor with 5 s leases (4 s timeout + 1 s
 * leeway) and storage batching on, running `recovery_task` executions (200 ms each, so each worker
 * holds a few dozen runs when it is killed). It prints one `.` per finished run, which the
 * workload counts for its completion rate, and runs until it is killed. Argument: the storage
 * location as JSON (see `tests/sql/fixtures/open-storage.ts`).
 */
import { DurableExecutor } from '../../src/index.js'
import { openStorage, parseStorageLocation } from '../../tests/sql/fixtures/open-storage.js'

/** The options of every executor of the workload. */
export const RECOVERY_EXECUTOR_OPTIONS = {
  expireLeewayMs: 1_000,
  enableStorageBatching: true,
  maxConcurrentTaskExecutions: 100,
  logLevel: 'error',
} as const

/** Registers the workload's task; `onFinished` hears of each finished run. */
export function registerRecoveryTask(executor: DurableExecutor, onFinished: () => void = () => undefined) {
  return executor.task({
    id: 'recovery_task',
    timeoutMs: 4_000,
    run: async (_ctx, input: number) => {
      await new Promise((resolve) => setTimeout(resolve, 200))
      onFinished()
      return input
    },
  })
}

if (process.argv[1]?.endsWith('recovery-worker.ts')) {
  const { storage } = await openStorage(parseStorageLocation(process.argv[2]))
  const executor = await DurableExecutor.make(storage, RECOVERY_EXECUTOR_OPTIONS)
  registerRecoveryTask(executor, () => process.stdout.write('.'))
  await executor.start()
}
