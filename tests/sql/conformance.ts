/** Binds the storage conformance suite to one SQL backend, on a table of its own. */
import { describeTaskExecutionsStorageSuite } from '../../src/testing/index.js'
import { uniqueTableName, type OpenedBackend, type SqlBackend } from './backends.js'

/** Declares the conformance suite for `backend`; the table is dropped and the connection closed after it. */
export function describeSqlStorageConformance<TDb>(backend: SqlBackend<TDb>): void {
  let opened: OpenedBackend<TDb> | undefined
  describeTaskExecutionsStorageSuite(`storage conformance on ${backend.name}`, {
    createStorage: async () => {
      opened = await backend.open(uniqueTableName('te_conf'))
      return opened.storage
    },
    cleanup: async () => {
      await opened?.close()
    },
  })
}
