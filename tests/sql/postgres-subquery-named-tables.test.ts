/**
 * A task-executions table may be named like a subquery of the storage's PostgreSQL statements:
 * those names end in `$`, which no table name holds. Named `claimed`, `claim_candidates` or
 * `claim_releases`, a table was shadowed by the statement's own subquery of that name, and every
 * claim of the close-ready, children-finished, cancellation and mark-finished sweeps failed
 * ("table name specified more than once", or a column the subquery lacks).
 */
import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import { afterAll } from 'vitest'
import { createPgTaskExecutionsStorage, createPgTaskExecutionsTable, ensurePgTaskExecutionsTables } from '../../src/pg.js'
import { describeTaskExecutionsStorageSuite } from '../../src/testing/index.js'
import { reachableServerUrl } from './servers.js'

const url = await reachableServerUrl('PostgreSQL')

if (url) {
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  const db = drizzle({ client: pool })
  afterAll(() => pool.end())
  // The names the statements gave their subqueries before they ended in `$`.
  for (const name of ['claimed', 'claim_candidates', 'claim_releases', 'claim_parents', 'owners_updated', 'owned', 'inserted']) {
    const table = createPgTaskExecutionsTable(name)
    describeTaskExecutionsStorageSuite(`a PostgreSQL table named ${name}`, {
      createStorage: async () => {
        await db.execute(sql`drop table if exists ${table}`)
        await ensurePgTaskExecutionsTables(db, [table])
        return createPgTaskExecutionsStorage(db, table, { enableTestMode: true })
      },
      cleanup: async () => {
        await db.execute(sql`drop table if exists ${table}`)
      },
    })
  }
}
