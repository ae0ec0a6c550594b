/**
 * The job-store suite's harness: a backend opens a store on fresh, uniquely prefixed tables (so
 * test files run in parallel on one server), and the suite drops them afterwards.
 */
import { randomBytes } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { jobTablesInCreationOrder, type RootJobStore } from '../../jobs/index.js'

/** A store on its own tables, and how to release the connection. */
export type OpenedJobStore = {
  readonly store: RootJobStore
  /** Releases the connection (the suite drops the tables first). */
  close(): Promise<void>
}

/** How the suite reaches a backend. */
export type JobStoreSuiteOptions = {
  /** Opens a store whose tables carry `tablePrefix` (the suite creates and drops them). */
  readonly openStore: (tablePrefix: string) => Promise<OpenedJobStore>
  /** Scales the concurrency tests down for slow backends (default 1). */
  readonly loadFactor?: number
}

/** A prefix unique to one test. */
export function uniqueTablePrefix(): string {
  return `t${randomBytes(4).toString('hex')}_`
}

/** Opens a store on fresh tables (named with `tablePrefix`) and returns it with a cleanup that drops them. */
export async function openFreshStore(options: JobStoreSuiteOptions, tablePrefix: string = uniqueTablePrefix()): Promise<OpenedJobStore> {
  const opened = await options.openStore(tablePrefix)
  await opened.store.ensureTables()
  return {
    store: opened.store,
    close: async () => {
      try {
        for (const table of jobTablesInCreationOrder(opened.store.tables).reverse()) {
          await opened.store.session.executeStatement(sql`drop table if exists ${table}`)
        }
      } finally {
        await opened.close()
      }
    },
  }
}

/** Runs `fn` on a fresh store and always cleans up. */
export async function withFreshStore(options: JobStoreSuiteOptions, fn: (store: RootJobStore) => Promise<void>): Promise<void> {
  const opened = await openFreshStore(options)
  try {
    await fn(opened.store)
  } finally {
    await opened.close()
  }
}

/** A clock tests move by hand. */
export function manualClock(start = 1_700_000_000_000) {
  let now = start
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms
    },
  }
}
