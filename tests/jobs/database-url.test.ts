/**
 * `parseDatabaseUrl` and `redactDatabaseUrl`: every scheme `createDatabase` accepts picks its
 * driver and target, and a bad URL is a clear error that never shows the password.
 */
import { describe, expect, it } from 'vitest'
import { parseDatabaseUrl, redactDatabaseUrl } from '../../src/jobs/index.js'

describe('parseDatabaseUrl', () => {
  it.each([
    ['postgres://app:pw@db.example:5432/jobs', 'node-postgres', 'postgres://app:pw@db.example:5432/jobs'],
    ['postgresql://app@db.example/jobs', 'node-postgres', 'postgresql://app@db.example/jobs'],
    ['mysql://root@127.0.0.1:3306/test', 'mysql2', 'mysql://root@127.0.0.1:3306/test'],
    ['mariadb://root:pw@127.0.0.1:3306/test', 'mysql2', 'mysql://root:pw@127.0.0.1:3306/test'],
    [':memory:', 'better-sqlite3', ':memory:'],
    ['  :memory:  ', 'better-sqlite3', ':memory:'],
    ['sqlite::memory:', 'better-sqlite3', ':memory:'],
    ['sqlite:', 'better-sqlite3', ':memory:'],
    ['sqlite:./data/jobs.db', 'better-sqlite3', './data/jobs.db'],
    ['sqlite:///var/lib/jobs.db', 'better-sqlite3', '/var/lib/jobs.db'],
    ['file:jobs.db', 'better-sqlite3', 'jobs.db'],
    ['file:///tmp/jobs.db', 'better-sqlite3', '/tmp/jobs.db'],
    ['FILE:/tmp/jobs.db', 'better-sqlite3', '/tmp/jobs.db'],
    ['libsql:./jobs.db', 'libsql', 'file:./jobs.db'],
    ['libsql:///tmp/jobs.db', 'libsql', 'file:/tmp/jobs.db'],
    ['libsql:file:/tmp/jobs.db', 'libsql', 'file:/tmp/jobs.db'],
    ['libsql://my-db.turso.io', 'libsql', 'libsql://my-db.turso.io'],
    ['pglite:', 'pglite', undefined],
    ['pglite://', 'pglite', undefined],
    ['pglite:./pgdata', 'pglite', './pgdata'],
    ['pglite:///var/lib/pgdata', 'pglite', '/var/lib/pgdata'],
  ])('maps %s to %s', (url, driver, target) => {
    expect(parseDatabaseUrl(url)).toEqual({ driver, target })
  })

  it('rejects an unknown scheme, naming the supported ones and hiding the password', () => {
    const attempt = () => parseDatabaseUrl('mongodb://admin:hunter2@db.example/jobs')
    expect(attempt).toThrow(TypeError)
    expect(attempt).toThrow(/Unsupported database URL mongodb:\/\/admin:\*\*\*@db\.example\/jobs: the scheme must be one of postgres:\/\//)
    expect(attempt).not.toThrow(/hunter2/)
  })

  it('rejects a URL with no scheme at all', () => {
    expect(() => parseDatabaseUrl('./jobs.db')).toThrow(/Unsupported database URL \.\/jobs\.db/)
  })

  it.each([
    ['an invalid port', 'postgres://app:hunter2@db.example:notaport/jobs', /Malformed database URL postgres:\/\/app:\*\*\*@db\.example:notaport\/jobs/],
    ['an unescaped slash in the password', 'postgres://app:hun/ter2@db.example/jobs', /Malformed database URL postgres:\/\/app:\*\*\*@db\.example\/jobs/],
    ['no host', 'mysql://root:hunter2@:3306/test', /Malformed database URL mysql:\/\/root:\*\*\*@:3306\/test/],
    ['an empty authority', 'postgres://', /names no host: expected scheme:\/\/user:password@host:port\/database/],
    ['a libsql URL without a file', 'libsql:', /names no file: use libsql:<path> or libsql:\/\/host/],
  ])('rejects a server URL with %s without showing the password', (_case, url, message) => {
    let thrown: unknown
    try {
      parseDatabaseUrl(url)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(TypeError)
    expect((thrown as Error).message).toMatch(message)
    expect((thrown as Error).message).not.toMatch(/hunter2|ter2/)
  })
})

describe('redactDatabaseUrl', () => {
  it.each([
    ['postgres://app:hunter2@db/jobs', 'postgres://app:***@db/jobs'],
    ['postgres://app:hunter2@with@at@db/jobs', 'postgres://app:***@db/jobs'],
    ['user:hunter2@db/jobs', 'user:***@db/jobs'],
    ['Cannot open mysql://root:hunter2@db/x with mysql2: refused', 'Cannot open mysql://root:***@db/x with mysql2: refused'],
  ])('hides the password in %s', (text, redacted) => {
    expect(redactDatabaseUrl(text)).toBe(redacted)
  })

  it.each(['postgres://postgres@127.0.0.1:5432/test', 'sqlite:/tmp/jobs.db', ':memory:'])('leaves %s without a password as it is', (url) => {
    expect(redactDatabaseUrl(url)).toBe(url)
  })
})
