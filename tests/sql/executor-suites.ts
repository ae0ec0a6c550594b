/**
 * Binds the executor suites (spec 5.1 A scenario, 5.2 behaviours) to one SQL backend, with
 * storage batching off and on. Every test gets an empty table of its own: the file keeps the
 * tables a finished test released and hands them out again emptied (creating and dropping a
 * table per test cost most of a server file's time), and drops them when the file ends.
 */
import { afterAll } from 'vitest'
import type { TaskExecutionsStorage } from '../../src/core/index.js'
import { describeDurableExecutorSuite, describeExecutorScenario } from '../../src/testing/index.js'
import { uniqueTableName, type OpenedBackend, type SqlBackend } from './backends.js'

/**
 * Declares the executor scenario, and with `behaviours` the whole behaviour suite, on `backend`.
 * The behaviour suite is the heaviest: run it on the servers and the SQLite file.
 */
export function describeSqlExecutorSuites<TDb>(backend: SqlBackend<TDb>, options: { behaviours: boolean }): void {
  const openedByStorage = new Map<TaskExecutionsStorage, { opened: OpenedBackend<TDb>; tableName: string }>()
  const everyTable: Array<string> = []
  // Tables whose test has ended: its executors are shut down and its connection closed.
  const released: Array<string> = []
  const suiteOptions = (enableStorageBatching: boolean) => ({
    enableStorageBatching,
    createStorage: async () => {
      let tableName = released.pop()
      if (tableName === undefined) {
        tableName = uniqueTableName('te_exec')
        everyTable.push(tableName)
      }
      const opened = await backend.open(tableName, undefined, 'reused')
      openedByStorage.set(opened.storage, { opened, tableName })
      return opened.storage
    },
    cleanup: async (storage: TaskExecutionsStorage) => {
      const entry = openedByStorage.get(storage)
      if (entry === undefined) return
      openedByStorage.delete(storage)
      await entry.opened.close()
      released.push(entry.tableName)
    },
  })
  afterAll(async () => {
    for (const tableName of everyTable) await backend.dropTable(tableName)
  })
  for (const enableStorageBatching of [false, true]) {
    const label = `${backend.name}, batching ${enableStorageBatching ? 'on' : 'off'}`
    describeExecutorScenario(`executor scenario (${label})`, suiteOptions(enableStorageBatching))
    if (options.behaviours) describeDurableExecutorSuite(`durable executor (${label})`, suiteOptions(enableStorageBatching))
  }
}
