/**
 * Every backend a cross-dialect test file runs on: the in-process ones always, the servers when
 * they answer (see servers.ts for what happens when they do not).
 */
import {
  libsqlFileBackend,
  mariaDbBackend,
  pgliteBackend,
  postgresBackend,
  sqliteMemoryBackend,
  type SqlBackend,
} from './backends.js'
import { reachableServerUrl } from './servers.js'

/** One backend per dialect for the cross-dialect properties: SQLite in memory, and the servers that answer. */
export async function oneBackendPerDialect(): Promise<Array<SqlBackend<unknown>>> {
  const postgresUrl = await reachableServerUrl('PostgreSQL')
  const mariaDbUrl = await reachableServerUrl('MariaDB')
  return [
    sqliteMemoryBackend,
    ...(postgresUrl ? [postgresBackend(postgresUrl)] : []),
    ...(mariaDbUrl ? [mariaDbBackend(mariaDbUrl)] : []),
  ] as Array<SqlBackend<unknown>>
}

/** The backends, and a shutdown for the per-file PGlite instance. */
export async function availableBackends(): Promise<{
  backends: Array<SqlBackend<unknown>>
  shutdown: () => Promise<void>
}> {
  const pglite = pgliteBackend()
  const postgresUrl = await reachableServerUrl('PostgreSQL')
  const mariaDbUrl = await reachableServerUrl('MariaDB')
  const backends = [
    sqliteMemoryBackend,
    libsqlFileBackend,
    pglite,
    ...(postgresUrl ? [postgresBackend(postgresUrl)] : []),
    ...(mariaDbUrl ? [mariaDbBackend(mariaDbUrl)] : []),
  ] as Array<SqlBackend<unknown>>
  return { backends, shutdown: () => pglite.shutdown() }
}
