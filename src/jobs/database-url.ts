/**
 * Which driver a database URL asks for, and the URL as messages may show it (password hidden).
 * `postgres://` / `postgresql://` → node-postgres; `mysql://` / `mariadb://` → mysql2;
 * `:memory:`, `sqlite:<path>` and `file:<path>` → better-sqlite3; `libsql:<path>` (a local file)
 * or `libsql://host` → libsql; `pglite:` (in memory) or `pglite:<directory>` → PGlite.
 * A leading `//` before a path is dropped (`sqlite:///abs/jobs.db` is `/abs/jobs.db`).
 */

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

/**
 * `text` with the password of every `scheme://user:password@` (or `scheme:password@`) in it
 * replaced by `***`. The password runs to the last `@` of the URL, so a malformed one (an
 * unescaped `/` or `@`) is hidden whole.
 */
export function redactDatabaseUrl(text: string): string {
  return text.replace(/(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:|[a-z][a-z0-9+.-]*:(?!\/\/))\S*@/gi, '$1***@')
}

function checkServerUrl(url: string): void {
  const expected = 'expected scheme://user:password@host:port/database (percent-encode special characters in the password).'
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new TypeError(`Malformed database URL ${redactDatabaseUrl(url)}: ${expected}`)
  }
  if (parsed.hostname === '') throw new TypeError(`Database URL ${redactDatabaseUrl(url)} names no host: ${expected}`)
}

/** A path after `scheme:`, without the `//` of a host-less URL; empty for none. */
const pathOf = (rest: string) => rest.replace(/^\/\//, '')

const SUPPORTED = 'postgres://, postgresql://, mysql://, mariadb://, sqlite:<path>, file:<path>, :memory:, libsql:<path>, libsql://host or pglite:[directory]'

/** Picks the driver for a URL. @throws on an unknown scheme or a malformed server URL (never showing the password). */
export function parseDatabaseUrl(url: string): ParsedDatabaseUrl {
  const trimmed = url.trim()
  if (trimmed === ':memory:') return { driver: 'better-sqlite3', target: ':memory:' }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase()
  const rest = scheme === undefined ? trimmed : trimmed.slice(scheme.length + 1)
  switch (scheme) {
    case 'postgres':
    case 'postgresql':
      checkServerUrl(trimmed)
      return { driver: 'node-postgres', target: trimmed }
    case 'mysql':
    case 'mariadb':
      checkServerUrl(trimmed)
      // mysql2 only knows the mysql: scheme; MariaDB speaks the same protocol.
      return { driver: 'mysql2', target: `mysql:${rest}` }
    case 'sqlite':
    case 'file':
      return { driver: 'better-sqlite3', target: pathOf(rest) || ':memory:' }
    case 'libsql':
      // libsql://host is a server; libsql:path and libsql:///path are local files.
      if (/^\/\/[^/]/.test(rest)) return { driver: 'libsql', target: trimmed }
      if (pathOf(rest) === '') throw new TypeError(`Database URL ${redactDatabaseUrl(trimmed)} names no file: use libsql:<path> or libsql://host.`)
      return { driver: 'libsql', target: `file:${pathOf(rest).replace(/^file:/, '')}` }
    case 'pglite':
      return { driver: 'pglite', target: pathOf(rest) || undefined }
    default:
      throw new TypeError(`Unsupported database URL ${redactDatabaseUrl(trimmed)}: the scheme must be one of ${SUPPORTED}.`)
  }
}
