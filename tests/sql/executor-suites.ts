/**
 * Binds the executor suites (spec 5.1 A scenario, 5.2 behaviours) to one SQL backend, with
 * storage batching off and on. Every test gets a fresh table, dropped after it.
 */
import type { TaskExecutionsStorage } from '../../src/core/index.js'
import { describeDurableExecutorSuite, describeExecutorScenario } from '../../src/testing/index.js'
import { uniqueTableName, type OpenedBackend, type SqlBackend } from './backends.js'

/**
 * Declares the executor scenario, and with `behaviours` the whole behaviour suite, on `backend`.
 * The behaviour suite is the heaviest: run it on the servers and the SQLite file.
 */
export function describeSqlExecutorSuites<TDb>(backend: SqlBackend<TDb>, options: { behaviours: boolean }): void {
  const openedByStorage = new Map<TaskExecutionsStorage, OpenedBackend<TDb>>()
  const suiteOptions = (enableStorageBatching: boolean) => ({
    enableStorageBatching,
    createStorage: async () => {
      const opened = await backend.open(uniqueTableName('te_exec'))
      openedByStorage.set(opened.storage, opened)
      return opened.storage
    },
    cleanup: async (storage: TaskExecutionsStorage) => {
      await openedByStorage.get(storage)?.close()
      openedByStorage.delete(storage)
    },
  })
  for (const enableStorageBatching of [false, true]) {
    const label = `${backend.name}, batching ${enableStorageBatching ? 'on' : 'off'}`
    describeExecutorScenario(`executor scenario (${label})`, suiteOptions(enableStorageBatching))
    if (options.behaviours) describeDurableExecutorSuite(`durable executor (${label})`, suiteOptions(enableStorageBatching))
  }
}
