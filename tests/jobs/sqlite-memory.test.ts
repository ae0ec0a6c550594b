import { createDatabase } from '../../src/jobs-entry.js'
import { describeJobStoreSuite } from '../../src/testing/job-store-suite/index.js'

describeJobStoreSuite('SQLite :memory: (better-sqlite3)', {
  openStore: async (tablePrefix) => {
    const database = await createDatabase({ url: ':memory:', tablePrefix, loadEnvFile: false })
    return { store: database, close: () => database.close() }
  },
})
