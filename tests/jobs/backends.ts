/**
 * Where the job-store suite runs: each backend through `createDatabase`, and the real servers'
 * reachability rule (one loud line and no suite locally; a failing test when `CI` is set).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { describe, it } from 'vitest'
import { createDatabase, redactDatabaseUrl } from '../../src/jobs-entry.js'
import type { OpenedJobStore } from '../../src/testing/job-store-suite/index.js'

/** Opens `url` with the given prefix (and clock) through `createDatabase`. */
export async function openUrl(url: string, tablePrefix: string, now?: () => number): Promise<OpenedJobStore> {
  const database = await createDatabase({ url, tablePrefix, now, loadEnvFile: false })
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

/** A backend the bad-input and property tests run on. */
export type JobTestBackend = {
  readonly name: string
  readonly openStore: (tablePrefix: string, now?: () => number) => Promise<OpenedJobStore>
}

/** SQLite in memory (and PGlite when asked) always, PostgreSQL and MariaDB when reachable. */
export async function jobTestBackends(options: { readonly pglite?: boolean } = {}): Promise<Array<JobTestBackend>> {
  const at = (url: string) => (prefix: string, now?: () => number) => openUrl(url, prefix, now)
  const backends: Array<JobTestBackend> = [{ name: 'SQLite :memory:', openStore: at(':memory:') }]
  if (options.pglite === true) backends.push({ name: 'PGlite', openStore: at('pglite:') })
  const postgres = await reachableServer('PG_URL', 'postgres://postgres@127.0.0.1:5432/test')
  if (postgres !== undefined) backends.push({ name: 'PostgreSQL', openStore: at(postgres) })
  const mariaDb = await reachableServer('MYSQL_URL', 'mysql://root@127.0.0.1:3306/test')
  if (mariaDb !== undefined) backends.push({ name: 'MariaDB', openStore: at(mariaDb) })
  return backends
}

/** Every text an error shows: message, `String(error)`, stack and own fields, along its whole cause chain. */
export function everyTextOf(error: unknown): string {
  const texts: Array<string> = []
  const seen = new Set<unknown>()
  const pending: Array<unknown> = [error]
  while (pending.length > 0) {
    const current = pending.shift()
    if (current == null || seen.has(current)) continue
    seen.add(current)
    if (typeof current === 'string') {
      texts.push(current)
      continue
    }
    if (typeof current !== 'object') continue
    const record = current as Record<string, unknown>
    // String(error) is what a logger prints: "Name: message".
    texts.push(current instanceof Error ? current.toString() : JSON.stringify(current), String(record.message), String(record.stack))
    for (const [key, value] of Object.entries(record)) {
      if (key === 'cause' || key === 'errors') continue
      try {
        texts.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      } catch {
        texts.push(`${key}=${String(value)}`)
      }
    }
    pending.push(record.cause, ...(Array.isArray(record.errors) ? record.errors : []))
  }
  return texts.join('\n')
}
