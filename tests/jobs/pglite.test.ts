/**
 * The job-store suite on PGlite: one in-memory instance for the whole file (starting one costs
 * seconds of CPU), each test on its own prefixed tables, as the server suites share a server.
 * The store is bound with the public `openJobStore`, the call `createDatabase('pglite:')` makes
 * after opening its instance (tests/jobs/create-database.test.ts covers that opening).
 */
import { PGlite } from '@electric-sql/pglite'
import { drizzle } from 'drizzle-orm/pglite'
import { afterAll } from 'vitest'
import { openJobStore } from '../../src/jobs/index.js'
import { pgJobDialect } from '../../src/pg.js'
import { describeJobStoreSuite } from '../../src/testing/job-store-suite/index.js'

const client = new PGlite()
afterAll(() => client.close())
const db = drizzle({ client })

describeJobStoreSuite('PGlite', {
  // The instance outlives each test: the suite drops the test's tables, and closing waits for the file's end.
  openStore: async (tablePrefix) => ({ store: openJobStore(pgJobDialect, db, { tablePrefix }), close: async () => {} }),
})
