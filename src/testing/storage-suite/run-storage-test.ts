/**
 * `runStorageTest`, upstream's single-call entry point: runs the executor scenario (spec 5.1 A) and
 * every storage conformance case in one async call, for users who migrate from upstream's
 * test-utils package.
 */
import type { TaskExecutionsStorage } from '../../core/storage.js'
import { runExecutorScenario } from '../executor-suite/scenario.js'
import { storageSuiteCaseName } from './case.js'
import { selectStorageSuiteCases } from './cases.js'

/** Options of {@link runStorageTest}, as upstream names them. */
export type RunStorageTestOptions = {
  /** Called once at the end, also when a case failed (e.g. to close connections). */
  storageCleanup?: () => void | Promise<void>
  /** Whether the executor scenario runs with storage batching on. Defaults to `false`. */
  enableStorageBatching?: boolean
  /** Batching window of the executor scenario in ms. Defaults to 10. */
  storageBackgroundBatchingProcessIntraBatchSleepMs?: number
  /**
   * Also run the cases of the optional parts of the contract (fencing, expiry counts, the
   * database clock). Defaults to `true`; pass `false` for a storage written for upstream.
   */
  includeBeyondUpstreamCases?: boolean
}

/**
 * Runs the executor scenario of spec 5.1 A on `storage` (one started executor, batching as the
 * options say), then the storage conformance cases one after another, each preceded by
 * `deleteAll` and the last followed by it, then `storageCleanup`. Rejects with the first failing
 * case, named in the message. Call it inside a test (`it`) with a generous timeout.
 */
export async function runStorageTest(
  storage: TaskExecutionsStorage,
  options: RunStorageTestOptions = {},
): Promise<void> {
  try {
    await storage.deleteAll()
    await runExecutorScenario(storage, {
      enableStorageBatching: options.enableStorageBatching ?? false,
      storageBackgroundBatchingProcessIntraBatchSleepMs: options.storageBackgroundBatchingProcessIntraBatchSleepMs ?? 10,
    })
    for (const storageCase of selectStorageSuiteCases(options.includeBeyondUpstreamCases ?? true)) {
      await storage.deleteAll()
      try {
        await storageCase.run(storage)
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error)
        throw new Error(
          `Storage conformance case failed [group=${storageCase.group}] [case=${storageSuiteCaseName(storageCase)}]: ${reason}`,
          { cause: error },
        )
      }
    }
    await storage.deleteAll()
  } finally {
    await options.storageCleanup?.()
  }
}
