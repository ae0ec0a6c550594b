/**
 * Where the job-store suite runs: each backend through `createDatabase`, and the real servers'
 * reachability rule (one loud line and no suite locally; a failing test when `CI` is set).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { describe, it } from 'vitest'
import { createDatabase, redactDatabaseUrl } from '../../src/jobs/index.js'
import type { OpenedJobStore } from '../../src/testing/job-store-suite/index.js'

/** Opens `url` with the given prefix through `createDatabase`. */
export async function openUrl(url: string, tablePrefix: string): Promise<OpenedJobStore> {
  const database = await createDatabase({ url, tablePrefix, loadEnvFile: false })
  return { store: database, close: () => database.close() }
}

/** A file database in a fresh temporary directory, removed on close. */
export async function openTempFile(scheme: 'sqlite' | 'libsql', tablePrefix: string): Promise<OpenedJobStore> {
  const directory = mkdtempSync(join(tmpdir(), 'jobs-'))
  const opened = await openUrl(`${scheme}:${join(directory, 'jobs.db')}`, tablePrefix)
  return {
    store: opened.store,
    close: async () => {
      await opened.close()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}

/** The server URL when it answers `select 1`; otherwise one loud line (and a failing test in CI). */
export async function reachableServer(envName: 'PG_URL' | 'MYSQL_URL', fallback: string): Promise<string | undefined> {
  const url = process.env[envName] || fallback
  try {
    const database = await createDatabase({ url, maxClients: 1, loadEnvFile: false })
    try {
      await database.session.executeStatement(sql`select 1`)
    } finally {
      await database.close()
    }
    return url
  } catch (error) {
    const line = `!!! ${redactDatabaseUrl(url)} is unreachable (${error instanceof Error ? error.message : String(error)}); the job-store suite does not run on it. Start the server (toolchain.md) or set ${envName}.`
    console.warn(line)
    // In CI an unreachable server fails; locally the suite shows as skipped, named by its URL.
    describe.skipIf(!process.env.CI)(`${envName} server ${redactDatabaseUrl(url)}`, () => {
      it('is reachable', () => {
        throw new Error(line)
      })
    })
    return undefined
  }
}
