/**
 * Which driver a database URL asks for, checked before any driver sees it.
 * `postgres://` / `postgresql://` → node-postgres; `mysql://` / `mariadb://` → mysql2;
 * `:memory:`, `sqlite:<path>` and `file:<path>` → better-sqlite3; `libsql:<path>` (a local file)
 * or `libsql://host` → libsql; `pglite:` (in memory) or `pglite:<directory>` → PGlite.
 * A leading `//` before a path is dropped (`sqlite:///abs/jobs.db` is `/abs/jobs.db`).
 * Errors show the URL through `showDatabaseUrl`, so never its password.
 */
import { DatabaseUrlError } from './errors.js'
import { showDatabaseUrl } from './redact.js'

/** A driver `createDatabase` can open. */
export type DatabaseDriver = 'node-postgres' | 'mysql2' | 'better-sqlite3' | 'libsql' | 'pglite'

/** The npm package each driver needs (named in the error when it is missing). */
export const DATABASE_DRIVER_PACKAGES: Readonly<Record<DatabaseDriver, string>> = {
  'node-postgres': 'pg',
  mysql2: 'mysql2',
  'better-sqlite3': 'better-sqlite3',
  libsql: '@libsql/client',
  pglite: '@electric-sql/pglite',
}

/** A parsed database URL. */
export type ParsedDatabaseUrl = {
  readonly driver: DatabaseDriver
  /** What the driver is given: a connection URL, a file path, or `undefined` for in-memory PGlite. */
  readonly target: string | undefined
}

const EXPECTED_SERVER_URL = 'expected scheme://user:password@host:port/database (percent-encode special characters in the user, password and database).'

const decodes = (text: string) => {
  try {
    decodeURIComponent(text)
    return true
  } catch {
    return false
  }
}

/**
 * A server URL that parses, names a host, has no fragment and whose percent-escapes decode, in the WHATWG form
 * (`href`: spaces and other characters percent-encoded), which both drivers read as it is written.
 */
function checkedServerUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new DatabaseUrlError(`Malformed database URL ${showDatabaseUrl(url)}: ${EXPECTED_SERVER_URL}`, showDatabaseUrl(url))
  }
  if (parsed.hostname === '') {
    throw new DatabaseUrlError(`Database URL ${showDatabaseUrl(url)} names no host: ${EXPECTED_SERVER_URL}`, showDatabaseUrl(url))
  }
  if (parsed.hash !== '') {
    throw new DatabaseUrlError(
      `Malformed database URL ${showDatabaseUrl(url)}: it holds a # (a fragment), which no driver reads; percent-encode # in the password as %23.`,
      showDatabaseUrl(url),
    )
  }
  // node-postgres re-encodes a URL holding a stray % and then reads other parts differently.
  if (![parsed.username, parsed.password, parsed.hostname, parsed.pathname, parsed.search].every(decodes)) {
    throw new DatabaseUrlError(
      `Malformed database URL ${showDatabaseUrl(url)}: a % is not followed by two hex digits; write a literal % as %25 (${EXPECTED_SERVER_URL})`,
      showDatabaseUrl(url),
    )
  }
  return parsed.href
}

/** A path after `scheme:`, without the `//` of a host-less URL; empty for none. */
const pathOf = (rest: string) => rest.replace(/^\/\//, '')

const SUPPORTED = 'postgres://, postgresql://, mysql://, mariadb://, sqlite:<path>, file:<path>, :memory:, libsql:<path>, libsql://host or pglite:[directory]'

/** Picks the driver for a URL. @throws DatabaseUrlError on an unknown scheme or a malformed server URL (never showing the password). */
export function parseDatabaseUrl(url: string): ParsedDatabaseUrl {
  if (typeof url !== 'string') {
    throw new DatabaseUrlError(`The database URL must be a string, not ${url === null ? 'null' : typeof url}: pass e.g. postgres://user@host:5432/db.`, undefined)
  }
  const trimmed = url.trim()
  if (trimmed === ':memory:') return { driver: 'better-sqlite3', target: ':memory:' }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase()
  const rest = scheme === undefined ? trimmed : trimmed.slice(scheme.length + 1)
  switch (scheme) {
    case 'postgres':
    case 'postgresql':
      return { driver: 'node-postgres', target: checkedServerUrl(trimmed) }
    case 'mysql':
    case 'mariadb':
      // mysql2 only knows the mysql: scheme; MariaDB speaks the same protocol.
      return { driver: 'mysql2', target: `mysql:${checkedServerUrl(trimmed).slice(scheme.length + 1)}` }
    case 'sqlite':
    case 'file':
      return { driver: 'better-sqlite3', target: pathOf(rest) || ':memory:' }
    case 'libsql':
      // libsql://host is a server; libsql:path and libsql:///path are local files.
      if (/^\/\/[^/]/.test(rest)) return { driver: 'libsql', target: trimmed }
      if (pathOf(rest) === '') {
        throw new DatabaseUrlError(`Database URL ${showDatabaseUrl(trimmed)} names no file: use libsql:<path> or libsql://host.`, showDatabaseUrl(trimmed))
      }
      return { driver: 'libsql', target: `file:${pathOf(rest).replace(/^file:/, '')}` }
    case 'pglite':
      return { driver: 'pglite', target: pathOf(rest) || undefined }
    default:
      throw new DatabaseUrlError(`Unsupported database URL ${showDatabaseUrl(trimmed)}: the scheme must be one of ${SUPPORTED}.`, showDatabaseUrl(trimmed))
  }
}
