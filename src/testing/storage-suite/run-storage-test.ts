/**
 * `runStorageTest`, upstream's single-call entry point: runs every storage conformance case in one
 * async call, for users who migrate from upstream's test-utils package.
 */
import type { TaskExecutionsStorage } from '../../core/storage.js'
import { storageSuiteCaseName } from './case.js'
import { storageSuiteCases } from './cases.js'

/** Options of {@link runStorageTest}, as upstream names them. */
export type RunStorageTestOptions = {
  /** Called once at the end, also when a case failed (e.g. to close connections). */
  storageCleanup?: () => void | Promise<void>
  /** Whether the executor scenario runs with storage batching on. Defaults to `false`. */
  enableStorageBatching?: boolean
  /** Batching window of the executor scenario in ms. Defaults to 10. */
  storageBackgroundBatchingProcessIntraBatchSleepMs?: number
}

/**
 * Runs the storage conformance cases one after another on `storage`, each preceded by
 * `deleteAll` and the last followed by it, then `storageCleanup`. Rejects with the first failing
 * case, named in the message. Call it inside a test (`it`) with a generous timeout.
 *
 * The executor scenario of spec 5.1 A is not part of this function yet: it joins at the hook
 * point marked below, and will use `enableStorageBatching` and
 * `storageBackgroundBatchingProcessIntraBatchSleepMs`, which are accepted now so that callers
 * written against upstream's signature compile unchanged.
 */
export async function runStorageTest(
  storage: TaskExecutionsStorage,
  options: RunStorageTestOptions = {},
): Promise<void> {
  try {
    // HOOK (executor scenario, spec 5.1 A): upstream runs it here, before the storage-method
    // cases, with an executor built from `options`; src/testing/executor-suite will plug in here.
    for (const storageCase of storageSuiteCases) {
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
